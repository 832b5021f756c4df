"""The README's five-minute tour, run as written against a live server.

Every shell and Python block of the tour section runs (with the server's real address in place
of 127.0.0.1:50051). Not run here: `make run` (the server is started the same way by this
test, with `knowport serve`), and the deployment snippets (docker compose, an external
PostgreSQL, MCP host configuration), which need things this machine does not have.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.process import start_serve

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
TOUR = README[README.index("## A five-minute tour"):README.index("### Exit codes")]
BLOCKS = re.findall(r"```(bash|python)\n(.*?)```", TOUR, flags=re.S)
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


@pytest.fixture(scope="module")
def served():
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(ROOT),
                        "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none",
                        "OPENAI_API_BASE": ""})
    yield proc
    assert proc.stop() == 0


def run_block(kind: str, code: str, address: str) -> subprocess.CompletedProcess:
    host, port = address.rsplit(":", 1)
    env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port, "EMBEDDING_BACKEND": "none",
           "OPENAI_API_BASE": ""}
    code = code.replace(DOCUMENTED_ADDRESS, address)
    command = (["bash", "-euo", "pipefail", "-c", code] if kind == "bash"
               else [sys.executable, "-c", code])
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def test_the_tour_has_the_blocks_this_test_runs():
    kinds = [kind for kind, code in BLOCKS if "make run" not in code]
    assert kinds == ["bash", "bash", "python"]


def test_every_tour_block_runs_as_written(served):
    outputs = []
    # The CLI first (it indexes the repository), then Python, then grpcurl.
    runnable = [(k, c) for k, c in BLOCKS if "make run" not in c]
    for kind, code in (runnable[0], runnable[2], runnable[1]):
        result = run_block(kind, code, served.address)
        assert result.returncode == 0, f"{kind} block failed:\n{code}\n{result.stderr}"
        outputs.append(result.stdout)
    cli, python, grpcurl = outputs
    assert "succeeded" in cli and "services/llm_lock" in cli
    assert "SERVING" in cli and "free" in cli
    assert "services/" in python
    assert "knowport.v1.KnowledgeService" in grpcurl and '"hits"' in grpcurl
