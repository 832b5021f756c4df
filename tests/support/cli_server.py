"""A real `knowport serve` (memory storage) over a workspace, indexed once by `knowport
ingest`, and the `knowport` command run against it: for the CLI's end-to-end tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.process import start_serve, tool


@contextmanager
def served_and_indexed(root: Path) -> Iterator[dict[str, str]]:
    """The environment that points `knowport` at the running server."""
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(root),
                        "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none"})
    host, port = proc.address.rsplit(":", 1)
    env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(root)}
    assert subprocess.run([tool("knowport"), "ingest"], env=env, capture_output=True,
                          timeout=60).returncode == 0
    yield env
    assert proc.stop() == 0


def knowport(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("knowport"), *args], env=env, capture_output=True, text=True,
                          timeout=60)
