"""GetFileContext with a line range answers with that range's symbols and chunks only, and
says how many others the file has (issue 14 item 5: 36 lines came back with all 75 symbols
and 33 chunks of the file); without a range every symbol and chunk comes back, as before.
Both storage backends, and the MCP get_file_context tool."""

from __future__ import annotations

from mcp import Client

from knowport.v1 import knowledge_service_pb2 as pb
from services.mcp_bridge.server import build_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for
from tests.support.workspaces import index, write_files

FUNCTIONS = 75
MANY = "".join(f"def handler_{i}(event):\n    \"\"\"Handle event number {i}.\"\"\"\n"
               f"    total = event + {i}\n    return total * 2\n\n\n" for i in range(FUNCTIONS))
FIRST, LAST = 101, 136  # 36 lines in the middle of the file


def overlaps(item) -> bool:
    return item.end_line >= FIRST and item.start_line <= LAST


async def ranged_and_whole(server) -> tuple[pb.GetFileContextResponse, ...]:
    whole = await server.knowledge.GetFileContext(pb.GetFileContextRequest(path="many.py"))
    ranged = await server.knowledge.GetFileContext(
        pb.GetFileContextRequest(path="many.py", start_line=FIRST, end_line=LAST))
    return whole, ranged


async def test_a_line_range_returns_only_its_symbols_and_chunks(tmp_path, storage):
    root = write_files(tmp_path / "ws", {"many.py": MANY})
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        whole, ranged = await ranged_and_whole(server)

    # Without a range: everything, as before, and nothing said to be left out.
    assert len(whole.symbols) == FUNCTIONS and not whole.truncated
    assert whole.symbols_outside_range == whole.chunks_outside_range == 0
    # With one: exactly what overlaps it, and the counts of the rest.
    assert ranged.text_start_line == FIRST and ranged.text_end_line == LAST
    assert list(ranged.symbols) == [s for s in whole.symbols if overlaps(s)]
    assert list(ranged.chunks) == [c for c in whole.chunks if overlaps(c)]
    assert 0 < len(ranged.symbols) <= 10 and ranged.chunks
    assert ranged.symbols_outside_range == len(whole.symbols) - len(ranged.symbols)
    assert ranged.chunks_outside_range == len(whole.chunks) - len(ranged.chunks)
    assert not ranged.truncated and not ranged.next_page_token
    assert ranged.ByteSize() * 3 < whole.ByteSize()


async def test_mcp_get_file_context_with_a_range_says_what_it_left_out(tmp_path):
    root = write_files(tmp_path / "ws", {"many.py": MANY})
    storage = MemoryStorage()
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        whole, ranged = await ranged_and_whole(server)
        settings = settings_for(root, GRPC_PORT=str(server.running.port))
        async with Client(build_server(settings)) as client:
            result = await client.call_tool("get_file_context", {
                "path": "many.py", "start_line": FIRST, "end_line": LAST})
    assert not result.is_error, result.content[0].text
    got = result.structured_content
    assert [s["name"] for s in got["symbols"]] == [s.name for s in ranged.symbols]
    assert len(got["symbols"]) < FUNCTIONS
    assert got["symbols_outside_range"] == ranged.symbols_outside_range > 0
    assert got["chunks_outside_range"] == ranged.chunks_outside_range > 0
