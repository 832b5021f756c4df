"""Pathologically long lines (minified code, one-line data): they ingest on both backends
within the chunk limit, an oversized chunk never fails a file, search snippets show
the matched term, and the MCP bridge reads such a line to its end."""

from __future__ import annotations

import re

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import Chunk, FileRecord, chunk_id, content_hash
from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_mcp_tools import bridge, call
from tests.support.grpc_server import running_server
from tests.support.long_lines import one_line_json
from tests.support.workspaces import index, write_files

WS = "ws-long-lines"


async def test_a_2mb_one_line_json_ingests_in_bounded_chunks_and_is_found(tmp_path, storage):
    data = one_line_json(2_000_000)
    root = write_files(tmp_path, {"data.json": data})
    async with running_server(storage, root) as server:
        _, job = await index(server.settings, storage)  # asserts the job SUCCEEDED
        assert job.counts.get("files_failed", 0) == 0 and not job.skipped
        assert await storage.get_file(server.workspace.id, "data.json") is not None
        chunks = await storage.get_chunks(server.workspace.id, "data.json")
        chunks.sort(key=lambda c: c.start_column)
        assert len(chunks) > 300 and max(len(c.text) for c in chunks) <= 6000
        assert "".join(c.text for c in chunks) == data
        assert len({c.id for c in chunks}) == len(chunks)
        # A record near the end of the line is found by its own number.
        last = re.findall(r"№(\d+)", data)[-1]
        hits = await storage.search_lexical(server.workspace.id, last, 5)
        assert hits and f"№{last}" in hits[0].chunk.text


async def test_a_snippet_of_a_long_chunk_holds_the_matched_term(tmp_path, storage):
    # Terms deep inside 6,000-character pieces; a small budget leaves each snippet ~1.5 KB.
    # Words of 12 characters with their commas: the pieces hold 500 each, and the term sits
    # about 5,000 characters into its piece.
    words = [f"filler{i}" for i in range(10_000, 30_000)]
    words[20 * 500 + 416] = "needleword1"
    root = write_files(tmp_path, {"app.min.js": "var a=[" + ",".join(words) + "];\n"})
    async with running_server(storage, root, KNOWPORT_MAX_RESPONSE_BYTES="2000") as server:
        await index(server.settings, storage)
        found = await server.knowledge.Search(pb.SearchRequest(
            query="needleword1", mode=pb.SEARCH_MODE_LEXICAL))
    hit = found.hits[0]
    assert hit.path == "app.min.js" and hit.snippet_truncated and "needleword1" in hit.snippet
    assert hit.snippet_offset > 0 and hit.start_column > 0
    chunks = await storage.get_chunks(server.workspace.id, "app.min.js")
    text = next(c.text for c in chunks if c.id == hit.chunk_id)
    assert text.index("needleword1") > 4000  # the chunk's start alone would not show it
    assert text[hit.snippet_offset:].startswith(hit.snippet)


def _chunk(path: str, text: str, column: int = 0) -> Chunk:
    digest = content_hash(text)
    return Chunk(id=chunk_id(path, digest, 1, 1, column), path=path, start_line=1, end_line=1,
                 symbol="", kind="lines", language="text", text=text, content_hash=digest,
                 start_column=column)


async def _put(storage, path: str, *pieces: str) -> list[Chunk]:
    chunks, column = [], 0
    for piece in pieces:
        chunks.append(_chunk(path, piece, column))
        column += len(piece)
    text = "".join(pieces)
    record = FileRecord(path=path, content_hash=content_hash(text), size_bytes=len(text),
                        mtime_ns=1, language="text")
    await storage.replace_file(WS, record, chunks)
    return chunks


async def test_the_pieces_of_a_line_come_back_in_text_order_with_their_columns(storage):
    from services.domain.models import Workspace

    await storage.upsert_workspace(Workspace(id=WS, root="/nowhere"))
    pieces = [f"piece {i} of one long line;" for i in range(12)]
    stored = await _put(storage, "line.txt", *pieces)
    assert sorted(c.id for c in stored) != [c.id for c in stored]  # ids alone would shuffle
    found = await storage.get_chunks(WS, "line.txt")
    assert [c.start_column for c in found] == [c.start_column for c in stored]
    assert "".join(c.text for c in found) == "".join(pieces)


async def test_one_oversized_chunk_never_fails_its_file_and_every_term_is_found(storage):
    """Storage takes a chunk of any size (parse already keeps chunks small): one whose search
    terms would exceed a 1 MB PostgreSQL tsvector (no longer built) is indexed whole, and
    found by its last word as by its first, on both backends alike."""
    from services.domain.models import Workspace

    await storage.upsert_workspace(Workspace(id=WS, root="/nowhere"))
    # Distinct terms: a ~1.6 MB tsvector, which PostgreSQL refuses ("string is too long for
    # tsvector", max 1 MB); 400,000 (~4.6 MB) proved no more and cost PostgreSQL 2.7x the writes.
    huge = " ".join(f"w{i}" for i in range(150_000))
    await _put(storage, "huge.txt", huge)
    for word in ("w17", "w149999"):
        found = await storage.search_lexical(WS, word, 5)
        assert [h.chunk.path for h in found] == ["huge.txt"], word


async def test_the_mcp_bridge_reads_a_long_line_to_its_end(tmp_path):
    # Non-ASCII text is escaped in the tool's JSON, so the bridge's own cap cuts the line too.
    data = "head\n" + one_line_json(300_000) + "\n"
    root = write_files(tmp_path, {"data.json": data})
    storage = MemoryStorage()
    async with running_server(storage, root) as server, \
            bridge(root, server.running.port) as client:
        await index(server.settings, storage)
        text, line, column, pages = "", 1, 0, 0
        while line:
            page = await call(client, "get_file_context", path="data.json", start_line=line,
                              start_column=column)
            assert page["text_start_line"] == line and page["text_start_column"] == column
            text, pages = text + page["text"], pages + 1
            assert pages < 200
            line, column = page["next_start_line"], page["next_start_column"]
            if line > data.count("\n"):
                break
        assert text == data and pages > 6
