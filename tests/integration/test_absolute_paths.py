"""Absolute paths inside the workspace are accepted (agents send them all the time) and answered
with the workspace-relative path: GetFileContext on both backends, and the MCP tools
get_file_context and read_doc. Absolute paths elsewhere, or climbing out with `..`, stay
INVALID_ARGUMENT; one through a symlink out of the workspace or to a secret file names no
indexed file."""

from __future__ import annotations

import os
import uuid

import grpc
import pytest
from mcp import Client

from knowport.v1 import knowledge_service_pb2 as pb
from services.mcp_bridge.server import build_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for
from tests.support.workspaces import index, shop_workspace, write_files

CANARY = f"canary{uuid.uuid4().hex}"
INVALID, MISSING = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


@pytest.fixture
def spaces(tmp_path):
    """(the workspace, outside it)."""
    outside = write_files(tmp_path / "outside", {"canary.txt": f"{CANARY}\n",
                                                 "guide.md": f"# {CANARY}\n"})
    root = shop_workspace(tmp_path / "ws")
    write_files(root, {"docs/guide.md": "# Guide\n\nThe shop keeps stock.\n",
                       ".env": f"PASSWORD={CANARY}\n"})
    os.symlink(outside / "canary.txt", root / "link_to_canary.txt")
    os.symlink(outside, root / "linked_folder")
    return root, outside


async def test_file_context_accepts_absolute_paths_inside_the_workspace(spaces, storage):
    root, outside = spaces
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        for spelling in (f"{root}/shop/inventory.py", f"{root}//shop/./inventory.py"):
            answer = await server.knowledge.GetFileContext(
                pb.GetFileContextRequest(path=spelling))
            assert answer.path == "shop/inventory.py", spelling
            assert "class InventoryRegistry" in answer.text
        refused = {
            f"{outside}/canary.txt": INVALID,  # outside the workspace
            "/etc/passwd": INVALID,
            f"{root}/../outside/canary.txt": INVALID,  # `..` climbs out
            f"{root}/shop/../../outside/canary.txt": INVALID,
            f"{root}": INVALID,  # the root itself names no file
            f"{root}/%2e%2e/outside/canary.txt": INVALID,
            f"{root}-other/shop/inventory.py": INVALID,  # a sibling sharing the prefix
            f"{root}/link_to_canary.txt": MISSING,  # a symlink out: never indexed
            f"{root}/linked_folder/canary.txt": MISSING,
            f"{root}/.env": MISSING,  # a secret: never indexed
        }
        for path, code in refused.items():
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await server.knowledge.GetFileContext(pb.GetFileContextRequest(path=path))
            assert info.value.code() == code, (path, info.value.details())
            assert CANARY not in info.value.details()


async def test_mcp_tools_accept_absolute_paths_inside_the_workspace(spaces):
    root, outside = spaces
    storage = MemoryStorage()
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        settings = settings_for(root, GRPC_PORT=str(server.running.port))
        async with Client(build_server(settings)) as client:
            code = await client.call_tool("get_file_context",
                                          {"path": f"{root}/shop/inventory.py"})
            assert not code.is_error, code.content[0].text
            assert code.structured_content["path"] == "shop/inventory.py"
            doc = await client.call_tool("read_doc", {"path": f"{root}/docs/guide.md"})
            assert not doc.is_error, doc.content[0].text
            assert doc.structured_content["path"] == "docs/guide.md"
            assert "The shop keeps stock." in doc.structured_content["text"]
            for tool in ("get_file_context", "read_doc"):
                for path in (f"{outside}/guide.md", f"{root}/../outside/guide.md",
                             f"{root}/linked_folder/guide.md", f"{root}/.env"):
                    refused = await client.call_tool(tool, {"path": path})
                    assert refused.is_error, (tool, path)
                    assert CANARY not in refused.model_dump_json(), (tool, path)
