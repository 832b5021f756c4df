"""`knowport ingest` from a terminal or a script: through a running server (progress, exit
code, --json) or in-process with --local; and the one line it prints with no server."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from tests.support.process import start_serve, tool


def knowport(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("knowport"), *args], capture_output=True, text=True,
                          env={**os.environ, "EMBEDDING_BACKEND": "none", **env}, timeout=120)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    for i in range(20):
        (root / f"mod{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    (root / ".env").write_text("SECRET=1\n")
    return root


@pytest.fixture(scope="module")
def served(workspace):
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(workspace),
                        "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none"})
    yield proc
    assert proc.stop() == 0


def test_ingest_through_the_server_shows_progress_and_succeeds(served, workspace):
    host, port = served.address.rsplit(":", 1)
    result = knowport("ingest", GRPC_HOST=host, GRPC_PORT=port, WORKSPACE=str(workspace))
    assert result.returncode == 0, result.stderr
    assert "succeeded: 20 files indexed" in result.stdout
    assert "skipped .env: secret-looking file name" in result.stdout
    assert "enrichment skipped: no LLM configured" in result.stdout

    again = knowport("ingest", "--json", GRPC_HOST=host, GRPC_PORT=port)
    job = json.loads(again.stdout)
    assert again.returncode == 0
    assert job["state"] == "INGEST_JOB_STATE_SUCCEEDED"
    assert job["progress"]["files_unchanged"] == 20


def test_local_ingest_runs_in_process(workspace, tmp_path):
    result = knowport("ingest", "--local", "--json", STORAGE_TYPE="memory",
                      WORKSPACE=str(workspace))
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["progress"]["files_persisted"] == 20 and job["progress"]["files_skipped"] == 1


def test_with_no_server_it_says_so_in_one_line():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    result = knowport("ingest", GRPC_PORT=port)
    assert result.returncode == 3
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "knowport serve" in line and "--local" in line
