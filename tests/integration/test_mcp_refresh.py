"""The MCP tool refresh_files against a real gRPC server: an edited, a new and a deleted file
are searchable (or gone) as soon as the call returns; a bad path is the server's error."""

from __future__ import annotations

from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_mcp_tools import bridge, call, failure, small_workspace
from tests.support.grpc_server import running_server


async def hit_paths(client, query: str) -> set[str]:
    found = await call(client, "search_code", query=query, mode="lexical")
    return {hit["path"] for hit in found["hits"]}


async def test_refresh_files_makes_edits_searchable_when_it_returns(tmp_path):
    root = small_workspace(tmp_path / "ws")
    async with running_server(MemoryStorage(), root) as server, \
            bridge(root, server.running.port) as client:
        first = await call(client, "refresh_files", paths=["pkg"])
        assert first["job"]["state"] == "succeeded" and not first["joined"], first
        assert first["job"]["progress"]["files_persisted"] == 2

        (root / "pkg" / "lease.py").write_text("def renew_lease(lease_id):\n"
                                               "    return 'wombatlease'\n")
        (root / "pkg" / "new.py").write_text("def fresh():\n    return 'platypusnew'\n")
        (root / "pkg" / "loop.py").unlink()
        done = await call(client, "refresh_files",
                          paths=[str(root / "pkg" / "lease.py"), "pkg/new.py", "pkg/loop.py"])
        assert done["job"]["finished"] and done["job"]["progress"]["files_deleted"] == 1
        assert await hit_paths(client, "wombatlease") == {"pkg/lease.py"}
        assert await hit_paths(client, "platypusnew") == {"pkg/new.py"}
        assert await hit_paths(client, "EventLoop") == set()

        text = await failure(client, "refresh_files", paths=["/etc/hostname"])
        assert "INVALID_ARGUMENT" in text and "outside the workspace" in text
