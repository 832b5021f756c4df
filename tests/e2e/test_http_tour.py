"""The README's HTTP/JSON tour, its curl lines run as written against `knowport serve` with
the gateway on (a free port in place of the documented 8080).

Until the README carries the section, its text is tests/e2e/http_tour.md (what the README
gets); once it does, the README's own section runs and that file can go.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.process import gateway_base, start_serve, wait_ingest_succeeded

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Over HTTP/JSON"
DOCUMENTED = "127.0.0.1:8080"


def tour_text() -> str:
    readme = (ROOT / "README.md").read_text()
    if HEADING in readme:
        start = readme.index(HEADING)
        end = readme.find("\n## ", start + len(HEADING))
        return readme[start:end if end > 0 else None]
    return (Path(__file__).parent / "http_tour.md").read_text()


def curl_blocks() -> list[str]:
    return [code for code in re.findall(r"```bash\n(.*?)```", tour_text(), flags=re.S)
            if "curl" in code]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("tour")
    shutil.copytree(ROOT / "services" / "llm_lock", workspace / "services" / "llm_lock",
                    ignore=shutil.ignore_patterns("__pycache__"))
    served = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(workspace),
                          "KNOWPORT_HTTP_PORT": "0", "EMBEDDING_BACKEND": "none",
                          "OPENAI_API_BASE": ""})
    try:
        base = gateway_base(served)
        wait_ingest_succeeded(base, timeout=60)
        yield base.removeprefix("http://")
    finally:
        assert served.stop() == 0


def test_the_tour_has_a_curl_block_with_every_seed_endpoint():
    code = "\n".join(curl_blocks())
    for path in ("/health", "/stats", "/knowledge/search", "/knowledge/file/",
                 "/knowledge/overview", "/system/llm_lock"):
        assert f"{DOCUMENTED}{path}" in code


def test_every_curl_line_runs_as_written(gateway):
    for code in curl_blocks():
        result = subprocess.run(["bash", "-euo", "pipefail", "-c",
                                 code.replace(DOCUMENTED, gateway)],
                                cwd=ROOT, env=dict(os.environ), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, f"{code}\n{result.stderr}"
        out = result.stdout
        assert '"status":"ok"' in out and '"storageBackend":"memory"' in out
        assert '"hits":[{' in out and "renew" in out
        assert '"path":"services/llm_lock/lock.py"' in out and '"textEndLine":40' in out
        assert '"applied":true' in out and '"holder":"agent"' in out
        assert '"error":{"code":4' in out  # the watch, ended by its deadline
        assert "/knowledge/file/{path}" in out
