"""`knowport ingest PATH...`: through a running server and with --local, only the named files
are indexed; a PATH is taken relative to the current directory when that lies inside
WORKSPACE; a path outside the workspace is refused in words. And the text form of `search`
and `file` marks what changed on disk since it was indexed, until `ingest PATH` catches up."""

from __future__ import annotations

import json
import os
import subprocess

from tests.support.process import start_serve, tool


def knowport(*args: str, cwd, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("knowport"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "EMBEDDING_BACKEND": "none", **env}, timeout=120)


def test_ingest_named_paths_through_the_server_and_locally(tmp_path):
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    for name in ("a.py", "b.py", "sub/c.py", "sub/d.py"):
        (root / name).write_text(f"def f():\n    return {name!r}\n")
    (root / ".env").write_text("TOKEN=1\n")
    served = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(root),
                          "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none"})
    try:
        host, port = served.address.rsplit(":", 1)
        env = {"GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(root)}
        # From inside the workspace's sub/, `c.py` means sub/c.py; `a.py` is not there, so it
        # goes to the server as given: workspace-relative.
        result = knowport("ingest", "--json", "c.py", str(root / "b.py"), cwd=root / "sub",
                          **env)
        assert result.returncode == 0, result.stderr
        job = json.loads(result.stdout)
        assert job["progress"]["files_persisted"] == 2, job  # sub/c.py and b.py only

        text = knowport("ingest", ".env", "gone.py", cwd=root, **env)
        assert text.returncode == 0, text.stderr
        assert "skipped .env: secret-looking file name" in text.stdout

        outside = knowport("ingest", "/etc/hostname", cwd=root, **env)
        assert outside.returncode != 0 and "outside the workspace" in outside.stderr

        (root / "sub" / "c.py").write_text("def f():\n    return 'edited since'\n")
        found = knowport("search", "--mode", "lexical", "sub/c.py", cwd=root, **env).stdout
        line = next(line for line in found.splitlines() if line.startswith("sub/c.py:"))
        assert "[stale" in line and "note: stale hits" in found, found
        shown = knowport("file", "sub/c.py", cwd=root, **env).stdout
        assert "[stale" in shown.splitlines()[0], shown
        assert knowport("ingest", "sub/c.py", cwd=root, **env).returncode == 0
        fresh = knowport("file", "sub/c.py", cwd=root, **env).stdout
        assert "[stale" not in fresh and "edited since" in fresh, fresh
    finally:
        assert served.stop() == 0

    local = knowport("ingest", "--local", "--json", "sub", cwd=tmp_path, STORAGE_TYPE="memory",
                     WORKSPACE=str(root))
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout)["progress"]["files_persisted"] == 2  # sub/c.py, sub/d.py
    refused = knowport("ingest", "--local", "../x.py", cwd=root, STORAGE_TYPE="memory",
                       WORKSPACE=str(root))
    assert refused.returncode == 2 and "'..'" in refused.stderr
