"""Search over real gRPC: lexical, semantic and hybrid rankings, fallbacks, filters, paging,
staleness and the byte budget, over an index built by the real pipeline (with the test LLM
server for descriptions and embeddings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import Chunk, ScoredChunk
from services.knowledge.fusion import Fusion, by_symbol_name, fuse, tie_score
from services.knowledge.priors import DECLARATION_SHARE, SUPPORT_SHARE, is_test_or_doc
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import ServerHandle, running_server
from tests.support.openai_server import OpenAIServer
from tests.support.workspaces import index, shop_workspace

LEXICAL, SEMANTIC, HYBRID = pb.SEARCH_MODE_LEXICAL, pb.SEARCH_MODE_SEMANTIC, pb.SEARCH_MODE_HYBRID


def model_env(llm: OpenAIServer) -> dict[str, str]:
    return {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat",
            "EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "test-embed"}


@pytest.fixture
async def memory():
    return MemoryStorage()


@asynccontextmanager
async def served_shop(tmp_path, llm, storage) -> AsyncIterator[ServerHandle]:
    """The shop workspace, enriched and embedded, served over gRPC."""
    root = shop_workspace(tmp_path / "shop")
    async with running_server(storage, root, **model_env(llm)) as server:
        await index(server.settings, storage)
        yield server


@pytest.fixture
async def shop(tmp_path, llm, storage):
    async with served_shop(tmp_path, llm, storage) as server:
        yield server


@pytest.fixture
async def memory_shop(tmp_path, llm, memory):
    async with served_shop(tmp_path, llm, memory) as server:
        yield server


async def search(server, query: str, **fields) -> pb.SearchResponse:
    flt = fields.pop("filter", None)
    request = pb.SearchRequest(query=query, **fields)
    if flt is not None:
        request.filter.CopyFrom(flt)
    return await server.knowledge.Search(request)


def ids(response: pb.SearchResponse) -> list[str]:
    return [hit.chunk_id for hit in response.hits]


async def test_lexical_search_finds_identifiers_by_their_parts(memory_shop):
    root = memory_shop.settings.runtime.workspace
    for query in ("parse config", "parseConfig", "parse_config"):
        found = await search(memory_shop, query, mode=LEXICAL)
        assert found.effective_mode == LEXICAL and not found.truncated
        top = found.hits[0]
        assert (top.path, top.symbol, top.kind, top.language) == (
            "shop/inventory.py", "parse_config", pb.SYMBOL_KIND_FUNCTION, "python"), query
        lines = (root / top.path).read_text().split("\n")
        assert lines[top.start_line - 1] == "def parse_config(path):"
        assert top.snippet == "\n".join(lines[top.start_line - 1:top.end_line]) + "\n"
        assert not top.snippet_truncated and not top.stale and top.score > 0
        assert (top.description, top.purpose) == ("Description of parse_config.",
                                                  "Purpose of parse_config.")
    found = await search(memory_shop, "inventory registry", mode=LEXICAL)
    assert found.hits[0].symbol == "InventoryRegistry"
    assert found.hits[0].kind == pb.SYMBOL_KIND_CLASS


def as_ranking(response: pb.SearchResponse) -> list[ScoredChunk]:
    return [ScoredChunk(Chunk(id=h.chunk_id, path=h.path, start_line=h.start_line,
                              end_line=h.end_line, symbol=h.symbol,
                              kind=pb.SymbolKind.Name(h.kind).removeprefix("SYMBOL_KIND_").lower(),
                              language=h.language, text="", content_hash=""), h.score)
            for h in response.hits]


def scaled(ranking: list[ScoredChunk]) -> dict[str, float]:
    """Scores from 0 (what a chunk outside the ranking scores) to 1 (the best): these rankings
    hold every match, so the floor is zero, or the lowest cosine when that is negative."""
    floor = min(0.0, ranking[-1].score)
    return {h.chunk.id: (h.score - floor) / (ranking[0].score - floor) for h in ranking}


@pytest.mark.parametrize("query", ["compute the discount of a price", "compute_discount"])
async def test_hybrid_is_the_weighted_sum_of_the_rankings_normalised_scores(shop, query):
    lexical = await search(shop, query, mode=LEXICAL, page_size=50)
    semantic = await search(shop, query, mode=SEMANTIC, page_size=50)
    hybrid = await search(shop, query, page_size=50)  # unset mode means hybrid
    assert (lexical.effective_mode, semantic.effective_mode, hybrid.effective_mode) == (
        LEXICAL, SEMANTIC, HYBRID)
    assert not hybrid.notices

    # Lexical, semantic, and the pool of both ranked by symbol name, each scaled from 0 to 1
    # and added with weights: a question in sentences weighs meaning twice as much as words
    # and names, and scores tests and docs at SUPPORT_SHARE and class headers and module code
    # at DECLARATION_SHARE (no shop chunk is over 80 lines), and a ranking counts for more by
    # how far its best hit leads its second (Fusion.trust); a query naming code weighs all
    # alike, and adds a boost to the chunk defining what it names.
    sentence = " " in query
    weights = (0.5, 1.0, 0.5) if sentence else (1.0, 1.0, 1.0)
    assert Fusion().weights_for(query) == weights
    rankings = [as_ranking(lexical), as_ranking(semantic)]
    rankings.append(by_symbol_name(query, fuse(rankings, (1.0, 1.0))))
    assert rankings[2][0].chunk.symbol == "compute_discount"
    if sentence:
        leads = [1 - sorted(scaled(r).values())[-2] for r in rankings[:2]] + [0.0]
        weights = tuple(w * (1 + Fusion().trust * g) for w, g in zip(weights, leads, strict=True))
    scores: dict[str, float] = {}
    where = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for chunk_id, score in scaled(ranking).items():
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * score
        where.update((hit.chunk.id, hit.chunk) for hit in ranking)
    assert max(c.end_line - c.start_line for c in where.values()) < 80
    for i, chunk in where.items():
        if sentence:
            scores[i] *= SUPPORT_SHARE if is_test_or_doc(chunk) else 1.0
            scores[i] *= DECLARATION_SHARE if chunk.kind in ("class", "module") else 1.0
        elif chunk.symbol == "compute_discount":
            scores[i] += Fusion().named_identifier
    expected = sorted(scores, key=lambda i: (-tie_score(scores[i]), where[i].path,
                                             where[i].start_line, i))
    assert ids(hybrid) == expected
    assert [h.score for h in hybrid.hits] == pytest.approx([scores[i] for i in expected])
    assert hybrid.hits[0].symbol == "compute_discount"
    # The fusion holds chunks that only the semantic ranking found.
    assert set(ids(hybrid)) - set(ids(lexical))


async def test_without_an_embedder_semantic_and_hybrid_answer_lexically_and_say_so(
        tmp_path, memory):
    root = shop_workspace(tmp_path)
    async with running_server(memory, root) as server:  # EMBEDDING_BACKEND=none
        await index(server.settings, memory)
        lexical = await search(server, "compute discount", mode=LEXICAL)
        assert not lexical.notices
        for mode in (SEMANTIC, HYBRID, pb.SEARCH_MODE_UNSPECIFIED):
            found = await search(server, "compute discount", mode=mode)
            assert found.effective_mode == LEXICAL
            assert any("no embedder" in n and "answered lexically" in n for n in found.notices)
            assert ids(found) == ids(lexical) and found.hits


async def test_chunks_without_vectors_of_the_query_model_fall_back_to_lexical(
        tmp_path, llm, memory):
    root = shop_workspace(tmp_path)
    async with running_server(memory, root) as plain:  # indexed without any embedder
        await index(plain.settings, memory)
    async with running_server(memory, root, **model_env(llm)) as server:
        found = await search(server, "compute discount", mode=SEMANTIC)
        assert found.effective_mode == LEXICAL and found.hits
        assert any("no indexed chunk has an embedding" in n and "test-embed" in n
                   for n in found.notices)


async def test_a_query_that_cannot_be_embedded_is_answered_lexically(memory_shop, llm):
    llm.fail_next(5, status=400)  # not transient: the embedder gives up at once
    found = await search(memory_shop, "registry of stock counts", mode=HYBRID)
    llm.reset()
    assert found.effective_mode == LEXICAL and found.hits
    assert any("could not be embedded" in n for n in found.notices)
    again = await search(memory_shop, "registry of stock counts", mode=HYBRID)
    assert again.effective_mode == HYBRID and not again.notices


async def test_filters_narrow_by_path_glob_languages_and_kinds(shop):
    cases = [
        (pb.SearchFilter(path_glob="shop/**"), lambda h: h.path.startswith("shop/")),
        (pb.SearchFilter(languages=["JavaScript"]), lambda h: h.path == "web/app.js"),
        (pb.SearchFilter(languages=["markdown", "javascript"]),
         lambda h: h.path in ("web/app.js", "docs/guide.md", "README.md")),
        (pb.SearchFilter(kinds=[pb.SYMBOL_KIND_CLASS]), lambda h: h.kind == pb.SYMBOL_KIND_CLASS),
        (pb.SearchFilter(path_glob="*.md", kinds=[pb.SYMBOL_KIND_SECTION]),
         lambda h: h.path.endswith(".md") and h.kind == pb.SYMBOL_KIND_SECTION),
    ]
    for mode in (LEXICAL, HYBRID):
        everything = await search(shop, "registry discount cart shop price", mode=mode,
                                  page_size=50)
        for flt, keep in cases:
            found = await search(shop, "registry discount cart shop price", mode=mode,
                                 page_size=50, filter=flt)
            assert found.hits, (mode, flt)
            assert all(keep(hit) for hit in found.hits), (mode, flt)
            # Nothing the filter lets through is lost: the filter applies before the cut.
            assert {h.chunk_id for h in everything.hits if keep(h)} <= set(ids(found))


async def test_pages_follow_one_ranking_without_overlap_or_gaps(shop):
    query = "registry discount cart shop price item"
    for mode in (LEXICAL, SEMANTIC, HYBRID):
        whole = await search(shop, query, mode=mode, page_size=50)
        seen, token, pages = [], "", 0
        while True:
            page = await search(shop, query, mode=mode, page_size=3, page_token=token)
            assert len(page.hits) <= 3
            seen += ids(page)
            pages += 1
            token = page.next_page_token
            if not token:
                break
        assert seen == ids(whole) and pages > 2, mode
    first = await search(shop, query, page_size=2)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await search(shop, "another query", page_size=2, page_token=first.next_page_token)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_hits_say_when_their_file_changed_on_disk_since_indexing(memory_shop):
    root = memory_shop.settings.runtime.workspace
    with (root / "shop" / "pricing.py").open("a") as handle:
        handle.write("\n# edited\n")
    (root / "web" / "app.js").unlink()
    found = await search(memory_shop, "discount cart registry", mode=LEXICAL, page_size=50)
    stale = {hit.path: hit.stale for hit in found.hits}
    assert stale["shop/pricing.py"] and stale["web/app.js"]
    assert not stale["shop/inventory.py"] and not stale["shop/cli.py"]


async def test_a_small_budget_cuts_snippets_and_pages_the_rest_in_the_same_order(
        tmp_path, memory):
    root = shop_workspace(tmp_path)
    async with running_server(memory, root) as roomy, \
            running_server(memory, root, KNOWPORT_MAX_RESPONSE_BYTES="1024") as tight:
        await index(roomy.settings, memory)
        query = "registry discount cart shop price item"
        whole = await search(roomy, query, page_size=50)
        assert not whole.truncated and len(whole.hits) > 5
        seen, token = [], ""
        while True:
            page = await search(tight, query, page_size=50, page_token=token)
            assert page.ByteSize() <= 1024
            assert page.truncated or not page.next_page_token
            for hit in page.hits:
                full = next(h for h in whole.hits if h.chunk_id == hit.chunk_id)
                assert full.snippet.startswith(hit.snippet)
                assert hit.snippet_truncated == (hit.snippet != full.snippet)
            seen += ids(page)
            token = page.next_page_token
            if not token:
                break
        assert seen == ids(whole)
