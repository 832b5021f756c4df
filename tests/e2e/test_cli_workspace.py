"""`knowport workspace add | list | rm` and `--workspace` on the other commands, against a
real `knowport serve` process."""

from __future__ import annotations

import json
import os
import subprocess

from tests.support.process import start_serve, tool


def knowport(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("knowport"), *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_workspace_add_list_search_rm(tmp_path, monkeypatch):
    main, lib = tmp_path / "main", tmp_path / "lib"
    for root, name in ((main, "charge_card"), (lib, "refund_payment")):
        root.mkdir()
        (root / "app.py").write_text(f"def {name}(amount):\n    return amount\n")
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(main),
                        "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none"})
    try:
        host, port = proc.address.rsplit(":", 1)
        env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(main)}
        assert knowport(env, "ingest").returncode == 0

        monkeypatch.chdir(tmp_path)  # a relative root is made absolute by the CLI
        added = knowport(env, "workspace", "add", "lib", "--name", "library")
        assert added.returncode == 0, added.stderr
        assert "added lib-" in added.stdout and "(library)" in added.stdout
        assert "succeeded" in added.stdout  # and indexed at once
        again = knowport(env, "workspace", "add", str(lib), "--no-ingest")
        assert "already registered: lib-" in again.stdout

        listed = [json.loads(line) for line in
                  knowport(env, "workspace", "list", "--json").stdout.splitlines()]
        ids = {w["root"]: w["id"] for w in listed}
        assert set(ids) == {str(main), str(lib)}
        assert [w.get("is_default", False) for w in listed if w["root"] == str(main)] == [True]

        both = knowport(env, "search", "refund payment charge card", "--mode", "lexical",
                        "--workspace", ids[str(main)], "--workspace", ids[str(lib)])
        assert both.returncode == 0, both.stderr
        assert f"[{ids[str(lib)]}] app.py" in both.stdout
        assert f"[{ids[str(main)]}] app.py" in both.stdout
        stats = json.loads(knowport(env, "stats", "--workspace", ids[str(lib)], "--json").stdout)
        assert stats["workspace"] == ids[str(lib)] and stats["files"] == 1

        removed = knowport(env, "workspace", "rm", ids[str(lib)])
        assert removed.returncode == 0 and "removed lib-" in removed.stdout
        gone = knowport(env, "stats", "--workspace", ids[str(lib)])
        assert gone.returncode == 1 and "NOT_FOUND" in gone.stderr
        bad = knowport(env, "workspace", "add", str(tmp_path / "missing"))
        assert bad.returncode == 1 and "does not exist" in bad.stderr
    finally:
        assert proc.stop() == 0
