"""The README's quick start, followed literally on a fresh clone: `make run` builds a new virtual
environment, installs the project, starts the embedded PostgreSQL, indexes the clone and serves;
then the tour's first search finds something.

Tests may not download, so pip runs offline: the distributions come from this suite's own
environment (on PYTHONPATH) instead of PyPI. Everything else — the new `.venv`, the editable
install of the clone with its `knowport` entry point, the data folder, the server — is made
by the clone's own Makefile, from nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support.process import BANNER, LineWatch

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
QUICK_START = re.search(r"## Two commands\n+```bash\n(.*?)```", README, flags=re.S).group(1)
FIRST_SEARCH = re.search(r"^(\.venv/bin/knowport search .*?)(?:\s+#.*)?$", README,
                         flags=re.M).group(1)

pytestmark = pytest.mark.postgres


def quick_start_command(name: str) -> list[str]:
    """The quick start line that starts with `name` (comment dropped), as argv."""
    line = next(line for line in QUICK_START.splitlines() if line.startswith(name))
    return shlex.split(line, comments=True)


def offline_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return {
        **env,
        "PYTHONPATH": sysconfig.get_paths()["purelib"],  # the distributions, in place of PyPI
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads "0" as: build without isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GRPC_PORT": "0",  # a free port: another server may hold 50051
        "KNOWPORT_DATA_DIR": str(data_dir),
    }


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    target = tmp_path / "knowport"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, timeout=120)
    return target


def test_quick_start_on_a_fresh_clone_finds_code(clone: Path, tmp_path: Path):
    assert not (clone / ".venv").exists()
    env = offline_env(tmp_path / "data")
    # Its own session, so the whole tree (make, knowport serve, PostgreSQL) can be signalled.
    make = subprocess.Popen(quick_start_command("make run"), cwd=clone, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    try:
        banner = LineWatch(make, lines, BANNER).wait(timeout=600)
        assert banner, "make run printed no address:\n" + "".join(lines)
        host, port = banner.group(1), banner.group(2)
        search_until_found(clone, {**env, "GRPC_HOST": host, "GRPC_PORT": port})
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=60)
    assert any("try: grpcurl -plaintext" in line for line in lines)


HIT = re.compile(r"^\S+:\d+-\d+  ", flags=re.M)  # path:start-end  symbol (kind, score)


def search_until_found(clone: Path, env: dict[str, str], patience: float = 300) -> str:
    """The tour's first search, repeated until the background ingest has indexed a match."""
    deadline = time.monotonic() + patience
    while True:
        result = subprocess.run(["bash", "-c", FIRST_SEARCH], cwd=clone, env=env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode == 0 and HIT.search(result.stdout):
            return result.stdout
        assert time.monotonic() < deadline, f"no hit:\n{result.stdout}\n{result.stderr}"
        time.sleep(2)
