"""GetFileContext over real gRPC: a file's facts, symbols, chunks and text; line ranges;
continuing text and chunks under a small budget; normalised paths."""

from __future__ import annotations

import hashlib

import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server
from tests.support.long_lines import one_line_json
from tests.support.workspaces import index, shop_workspace, write_files

BIG_CLASS = "class Big:\n    \"\"\"Too big for one chunk.\"\"\"\n\n" + "".join(
    f"    def method_{i}(self, value):\n        total = value + {i}\n"
    f"        total *= 2\n        total -= 1\n        return total\n\n" for i in range(60)) + \
    "\ndef after():\n    return Big()\n"


async def context(server, path: str, **fields) -> pb.GetFileContextResponse:
    return await server.knowledge.GetFileContext(pb.GetFileContextRequest(path=path, **fields))


async def test_a_file_with_its_summary_symbols_chunks_and_text(tmp_path, llm, storage):
    root = shop_workspace(tmp_path)
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat"}
    async with running_server(storage, root, **env) as server:
        await index(server.settings, storage)
        found = await context(server, "./shop//inventory.py")
    data = (root / "shop" / "inventory.py").read_bytes()
    assert found.path == "shop/inventory.py" and found.language == "python"
    assert found.size_bytes == len(data)
    assert found.content_hash == hashlib.sha256(data).hexdigest()
    assert found.summary  # written by the (test) LLM
    assert not found.stale and not found.truncated and not found.next_page_token
    assert found.text == data.decode() and found.text_start_line == 1
    assert found.text_end_line == data.decode().count("\n")
    symbols = {s.name: (s.kind, s.start_line, s.end_line) for s in found.symbols}
    lines = data.decode().split("\n")
    kind, start, end = symbols["InventoryRegistry"]
    assert kind == pb.SYMBOL_KIND_CLASS and lines[start - 1] == "class InventoryRegistry:"
    pop = lines.index("        self.items.pop(sku, None)") + 1
    assert pop <= end < symbols["parse_config"][1]
    assert symbols["parse_config"][0] == pb.SYMBOL_KIND_FUNCTION
    assert [c.start_line for c in found.chunks] == sorted(c.start_line for c in found.chunks)
    assert found.chunks[0].start_line == 1 and found.chunks[-1].end_line == len(lines) - 1
    described = [c for c in found.chunks if c.symbol == "parse_config"]
    assert described and described[0].description == "Description of parse_config."


async def test_symbols_span_every_chunk_of_a_split_definition(tmp_path):
    root = write_files(tmp_path, {"big.py": BIG_CLASS})
    storage = MemoryStorage()
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        found = await context(server, "big.py")
    assert len(found.chunks) > 2  # the class was opened into its members
    symbols = {s.name: s for s in found.symbols}
    big, last = symbols["Big"], symbols["Big.method_59"]
    assert big.kind == pb.SYMBOL_KIND_CLASS and big.start_line == 1
    assert big.end_line >= last.end_line and last.kind == pb.SYMBOL_KIND_METHOD
    assert symbols["after"].start_line > big.end_line
    assert [s.start_line for s in found.symbols] == sorted(s.start_line for s in found.symbols)


async def test_line_ranges_and_their_edges(tmp_path):
    root = write_files(tmp_path, {"big.py": BIG_CLASS})
    lines = BIG_CLASS.split("\n")
    storage = MemoryStorage()
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        part = await context(server, "big.py", start_line=100, end_line=104)
        assert part.text == "\n".join(lines[99:104]) + "\n"
        assert (part.text_start_line, part.text_end_line) == (100, 104)
        assert part.chunks[0].start_line <= 100 <= part.chunks[0].end_line
        assert not part.truncated
        tail = await context(server, "big.py", start_line=len(lines) - 1)
        assert tail.text == lines[-2] + "\n" and tail.text_end_line == len(lines) - 1
        beyond = await context(server, "big.py", start_line=10_000)
        assert (beyond.text, beyond.text_start_line, beyond.text_end_line) == ("", 0, 0)
        for fields in ({"start_line": 5, "end_line": 4}, {"end_line": -1}):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await context(server, "big.py", **fields)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await context(server, "nothing/here.py")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_small_budget_continues_text_by_line_and_chunks_by_token(tmp_path, storage):
    minified = "var a='" + "😀漢字é" * 2000 + "';\n"
    root = write_files(tmp_path, {"big.py": BIG_CLASS, "min.js": minified})
    async with running_server(storage, root, KNOWPORT_MAX_RESPONSE_BYTES="1024") as server:
        await index(server.settings, storage)
        stored = [c.id for c in await storage.get_chunks(server.workspace.id, "big.py")]
        text, start = "", 1
        while start <= BIG_CLASS.count("\n"):
            page = await context(server, "big.py", start_line=start)
            assert page.ByteSize() <= 1024
            assert page.text_start_line == start and page.text.endswith("\n")  # whole lines
            # Cut until the last page, which holds only its range's symbols and chunks.
            assert page.truncated or page.text_end_line == BIG_CLASS.count("\n")
            text += page.text
            start = page.text_end_line + 1
        assert text == BIG_CLASS

        chunk_ids, token = [], ""
        while True:
            page = await context(server, "big.py", page_token=token)
            assert page.ByteSize() <= 1024 and page.truncated
            chunk_ids += [c.chunk_id for c in page.chunks]
            token = page.next_page_token
            if not token:
                break
            assert len(chunk_ids) < 1000
        assert chunk_ids == stored

        line = await context(server, "min.js")
        assert line.ByteSize() <= 1024 and line.truncated
        assert (line.text_start_line, line.text_end_line) == (1, 1)
        assert minified.startswith(line.text) and 500 < len(line.text.encode()) < 1024


async def read_to_the_end(server, path: str, data: str) -> tuple[str, int]:
    """The file's text read page by page, following next_start_column inside a line and
    text_end_line + 1 after it; and the number of pages it took."""
    last_line = data.count("\n") + (0 if data.endswith("\n") else 1)
    budget = server.settings.runtime.knowport_max_response_bytes
    text, pages, line, column = "", 0, 1, 0
    while True:
        page = await context(server, path, start_line=line, start_column=column)
        assert page.ByteSize() <= budget
        assert (page.text_start_line, page.text_start_column) == (line, column)
        text, pages = text + page.text, pages + 1
        assert page.text and pages < 1000
        if page.next_start_column:
            line, column = page.text_end_line, page.next_start_column
        elif page.text_end_line < last_line:
            line, column = page.text_end_line + 1, 0
        else:
            return text, pages


async def test_a_1mb_one_line_file_reads_to_its_end_page_by_page(tmp_path, storage):
    # A fifth of the default response budget and of the 5 MB first used here: the same
    # hundred-odd pages, each continuing inside the line, at a fraction of the indexing.
    data = one_line_json(1_000_000)
    root = write_files(tmp_path, {"data.json": data})
    async with running_server(storage, root, KNOWPORT_MAX_RESPONSE_BYTES="10000") as server:
        await index(server.settings, storage)
        text, pages = await read_to_the_end(server, "data.json", data)
        assert text == data  # every character once, in order
        assert pages > 50  # 1 MB cannot come in fewer pages of 10 KB
        # A search hit in a later piece of the line gives where to start reading it.
        chunks = await storage.get_chunks(server.workspace.id, "data.json")
        piece = sorted(chunks, key=lambda c: c.start_column)[len(chunks) // 2]
        assert piece.start_line == 1 and piece.start_column > 0
        page = await context(server, "data.json", start_line=1, start_column=piece.start_column)
        assert page.text.startswith(piece.text[:1000])
        assert page.chunks[0].chunk_id == piece.id and page.chunks[0].start_column > 0
        for column in (-1, len(data)):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await context(server, "data.json", start_column=column)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "start_column" in info.value.details()


async def test_a_long_line_amid_short_ones_continues_inside_it_then_after_it(tmp_path, storage):
    data = "first\n" + one_line_json(120_000) + "\nlast line\n"
    root = write_files(tmp_path, {"mixed.json": data})
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        text, pages = await read_to_the_end(server, "mixed.json", data)
    assert text == data and pages >= 3
