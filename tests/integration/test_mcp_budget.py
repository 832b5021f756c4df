"""The 50,000-character cap on tool results, against a KnowledgeService stand-in whose
answers are far larger than one result: every result fits, says `truncated`, and its token,
line or offset reaches every item exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from mcp import Client

from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from services.mcp_bridge.server import build_server
from tests.support.grpc_server import settings_for

CAP = 50_000
HITS = [pb.SearchHit(chunk_id=f"hit-{i}", path=f"src/m{i}.py", start_line=1, end_line=80,
                     symbol=f"f{i}", kind=pb.SYMBOL_KIND_FUNCTION, language="python",
                     score=100 - i, snippet=f"def f{i}():\n" + "    x = 1\n" * 150)
        for i in range(57)]
TEXT = "".join(f"line {i:05d} " + "y" * 50 + "\n" for i in range(1, 4001))  # ~250 KB
CHUNKS = [pb.FileChunk(chunk_id=f"chunk-{i}", symbol=f"s{i}", kind=pb.SYMBOL_KIND_FUNCTION,
                       start_line=i * 16 + 1, end_line=i * 16 + 16, description="d" * 300,
                       purpose="p" * 100) for i in range(250)]
LAYOUT = [pb.LayoutEntry(path=f"pkg/sub{i:04d}/inner", files=i, bytes=i * 100)
          for i in range(2500)]
SYMBOLS = [pb.RankedSymbol(name=f"Module.symbol_{i}", kind=pb.SYMBOL_KIND_CLASS,
                           path=f"pkg/m{i}.py", start_line=i, rank=1 / (i + 1))
           for i in range(600)]


def _line_slice(start: int, end: int, max_chars: int = 45_000) -> tuple[str, int, bool]:
    lines = TEXT.splitlines(keepends=True)[start - 1:end or None]
    out, used = [], 0
    for line in lines:
        if used + len(line) > max_chars:
            return "".join(out), start + len(out) - 1, True
        out.append(line)
        used += len(line)
    return "".join(out), start + len(out) - 1, False


class OversizedKnowledge(pb_grpc.KnowledgeServiceServicer):
    """Answers like KnowledgeService, with no byte budget of its own."""

    async def Search(self, request, context):
        if request.query == "unbuilt":
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Search is not built here")
        if request.query == "huge":
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the answer is too big")
        offset, size = int(request.page_token or 0), request.page_size or 10
        end = offset + size
        return pb.SearchResponse(hits=HITS[offset:end], effective_mode=pb.SEARCH_MODE_LEXICAL,
                                 next_page_token=str(end) if end < len(HITS) else "")

    async def GetFileContext(self, request, context):
        text, last, cut = _line_slice(request.start_line or 1, request.end_line)
        offset = int(request.page_token or 0)
        end = offset + 100
        return pb.GetFileContextResponse(
            path=request.path, language="python", size_bytes=len(TEXT), text=text,
            text_start_line=(request.start_line or 1) if text else 0,
            text_end_line=last if text else 0,
            chunks=CHUNKS[offset:end], next_page_token=str(end) if end < len(CHUNKS) else "",
            truncated=cut or end < len(CHUNKS))

    async def GetOverview(self, request, context):
        return pb.GetOverviewResponse(workspace="w", root="/w", layout=LAYOUT, symbols=SYMBOLS,
                                      entry_points=["main.py"])


@asynccontextmanager
async def bridge_to_stand_in(tmp_path) -> AsyncIterator[Client]:
    server = grpc.aio.server(options=[("grpc.max_send_message_length", 8 << 20)])
    pb_grpc.add_KnowledgeServiceServicer_to_server(OversizedKnowledge(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        settings = settings_for(tmp_path, GRPC_PORT=str(port))
        async with Client(build_server(settings)) as client:
            yield client
    finally:
        await server.stop(0)


async def capped(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    assert len(result.model_dump_json(by_alias=True, exclude_none=True)) <= CAP
    assert result.content[0].text.startswith("{")  # the same data as text, for text-only hosts
    return result.structured_content


async def test_search_pages_reach_every_hit_once_under_the_cap(tmp_path):
    async with bridge_to_stand_in(tmp_path) as client:
        seen, token, calls, cut = [], "", 0, False
        for _ in range(60):  # bounded: a token that never ends fails here, not by timeout
            page = await capped(client, "search_code", query="x", page_size=50, page_token=token)
            seen += [hit["chunk_id"] for hit in page["hits"]]
            cut |= page["truncated"]
            token, calls = page["next_page_token"], calls + 1
            if not token:
                break
        assert seen == [hit.chunk_id for hit in HITS]
        assert cut and calls > 3  # 57 hits of ~1.5 KB cannot come in two results


async def test_file_context_text_and_chunks_continue_exactly(tmp_path):
    async with bridge_to_stand_in(tmp_path) as client:
        text, start = "", 1
        for _ in range(60):
            page = await capped(client, "get_file_context", path="big.py", start_line=start)
            if not page["text"]:  # the chunk list had more pages, so the end was not known
                break
            assert page["text_start_line"] == start and page["truncated"]
            text += page["text"]
            start = page["next_start_line"]
            if not start:
                break
        assert text == TEXT

        chunks, token = [], ""
        for _ in range(60):
            page = await capped(client, "get_file_context", path="big.py", end_line=1,
                                page_token=token)
            chunks += [c["chunk_id"] for c in page["chunks"]]
            token = page["next_page_token"]
            if not token:
                break
        assert chunks == [c.chunk_id for c in CHUNKS]


async def test_overview_lists_cut_to_fit_can_be_paged_by_section(tmp_path):
    async with bridge_to_stand_in(tmp_path) as client:
        first = await capped(client, "get_project_overview")
        assert first["truncated"] and first["entry_points"] == ["main.py"]
        assert set(first["continue_sections"]) <= {"symbols", "layout"}
        layout = [entry["path"] for entry in first["layout"]]
        offset = first["continue_sections"].get("layout")
        for _ in range(60):
            if offset is None:
                break
            page = await capped(client, "get_project_overview", section="layout", offset=offset)
            assert page["symbols"] == [] and page["entry_points"] == []
            layout += [entry["path"] for entry in page["layout"]]
            offset = page["continue_sections"].get("layout")
        assert layout == [entry.path for entry in LAYOUT]


async def test_status_codes_without_a_reason_still_say_what_to_do(tmp_path):
    async with bridge_to_stand_in(tmp_path) as client:
        for query, expected in (("unbuilt", "UNIMPLEMENTED: Search is not built here; "),
                                ("huge", "RESOURCE_EXHAUSTED: the answer is too big; narrow")):
            result = await client.call_tool("search_code", {"query": query})
            assert result.is_error and expected in result.content[0].text, result.content[0].text
