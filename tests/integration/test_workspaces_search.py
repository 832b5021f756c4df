"""Search across workspaces over real gRPC, on both backends: one ranking that equals the
per-workspace rankings read from storage and fused by fusion.py (computed here, apart from
the server), each hit naming its workspace; a second worktree's identical chunks are kept
apart; and the request rules (union with `workspace`, too many, unknown)."""

from __future__ import annotations

import shutil

import grpc
import pytest

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import workspace_service_pb2 as wpb
from knowport.v1 import workspace_service_pb2_grpc as wpb_grpc
from services.domain import limits
from services.domain.models import ScoredChunk
from services.knowledge.fusion import hybrid_ranking
from services.knowledge.named import named_definitions
from services.knowledge.query_terms import lexical_query
from services.knowledge.search import HYBRID_DEPTH
from tests.support.grpc_server import running_server
from tests.support.ingest_jobs import finished_job
from tests.support.openai_server import embed_text
from tests.support.workspaces import shop_workspace, write_files

QUERIES = ("compute the discount of a price", "InventoryRegistry add_item", "parse config")


def merged(rankings: dict[str, list[ScoredChunk]], depth: int) -> list[tuple[str, ScoredChunk]]:
    """Every workspace's hits, best score first (ties: path, line, workspace), the best
    `depth`: what one ranking over all of them holds."""
    hits = [(ws, hit) for ws, ranking in rankings.items() for hit in ranking]
    hits.sort(key=lambda p: (-p[1].score, p[1].chunk.path, p[1].chunk.start_line, p[0],
                             p[1].chunk.id))
    return hits[:depth]


def tagged(hits: list[tuple[str, ScoredChunk]]) -> list[ScoredChunk]:
    """Hits whose ids name their workspace, so the same chunk in two worktrees stays two."""
    from dataclasses import replace
    return [ScoredChunk(replace(h.chunk, id=f"{ws}|{h.chunk.id}"), h.score) for ws, h in hits]


async def expected_hybrid(storage, workspaces: list[str], query: str) -> list[tuple[str, str]]:
    vector = embed_text(query)
    words = lexical_query(query)
    lexical = {ws: await storage.search_lexical(ws, words, HYBRID_DEPTH) for ws in workspaces}
    semantic = {ws: await storage.search_semantic(ws, vector, HYBRID_DEPTH)
                for ws in workspaces}
    named = [(ws, hit) for ws in workspaces
             for hit in await named_definitions(storage, ws, query)]
    fused = hybrid_ranking(query, tagged(merged(lexical, HYBRID_DEPTH)),
                           tagged(merged(semantic, HYBRID_DEPTH)), HYBRID_DEPTH,
                           defined=tagged(named))
    return [tuple(hit.chunk.id.split("|", 1)) for hit in fused]


@pytest.fixture
async def three(storage, tmp_path, llm):
    """The shop, a second worktree of it, and a different repository, all indexed."""
    llm.reset()
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat",
           "EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "test-embed"}
    shop = shop_workspace(tmp_path / "shop")
    worktree = shutil.copytree(shop, tmp_path / "shop-worktree")
    other = tmp_path / "ledger"
    write_files(other, {
        "ledger/discount.py": "def discount_rate(customer):\n    \"\"\"The customer's "
                              "discount percentage.\"\"\"\n    return 5\n",
        "ledger/config.py": "def load_config(path):\n    return {}\n"})
    async with running_server(storage, shop, WORKSPACES=f"{worktree},{other}", **env) as server:
        stub = wpb_grpc.WorkspaceServiceStub(server.channel)
        listed = (await stub.ListWorkspaces(wpb.ListWorkspacesRequest())).workspaces
        by_root = {w.root: w.id for w in listed}
        ids = [by_root[str(shop)], by_root[str(worktree)], by_root[str(other)]]
        for workspace in ids:
            started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest(
                workspace=workspace))
            job = await finished_job(server, started.job.job_id)
            assert job.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED, job.message
        yield server, ids


async def test_one_ranking_equals_the_fused_per_workspace_rankings(three):
    server, ids = three
    for query in QUERIES:
        found = await server.knowledge.Search(kpb.SearchRequest(
            query=query, workspaces=ids, page_size=50))
        assert found.effective_mode == kpb.SEARCH_MODE_HYBRID, found.notices
        got = [(h.workspace, h.chunk_id) for h in found.hits]
        want = (await expected_hybrid(server.storage, ids, query))[:len(got)]
        assert got == want, query
        assert len(got) == min(50, len(await expected_hybrid(server.storage, ids, query)))
        # The two worktrees hold the same chunks: each appears once per workspace.
        assert {w for w, _ in got} >= set(ids[:2])
    # Pages of that ranking neither repeat nor skip a hit.
    paged, token = [], ""
    for _ in range(50):
        page = await server.knowledge.Search(kpb.SearchRequest(
            query=QUERIES[0], workspaces=ids, page_size=7, page_token=token))
        paged += [(h.workspace, h.chunk_id) for h in page.hits]
        if not (token := page.next_page_token):
            break
    assert paged == (await expected_hybrid(server.storage, ids, QUERIES[0]))[:len(paged)]
    assert len(paged) == len(await expected_hybrid(server.storage, ids, QUERIES[0]))


async def test_lexical_ranking_across_workspaces_and_the_workspace_fields(three):
    server, ids = three
    query = "discount"
    found = await server.knowledge.Search(kpb.SearchRequest(
        query=query, workspaces=ids, mode=kpb.SEARCH_MODE_LEXICAL, page_size=50))
    rankings = {ws: await server.storage.search_lexical(ws, lexical_query(query), 51)
                for ws in ids}
    want = [(ws, h.chunk.id, h.score) for ws, h in merged(rankings, 50)]
    assert [(h.workspace, h.chunk_id) for h in found.hits] == [w[:2] for w in want]
    assert [h.score for h in found.hits] == pytest.approx([w[2] for w in want])
    assert {h.workspace for h in found.hits} == set(ids)

    single = await server.knowledge.Search(kpb.SearchRequest(query="discount"))
    assert {h.workspace for h in single.hits} == {ids[0]}  # the default, named
    union = await server.knowledge.Search(kpb.SearchRequest(
        query="discount", workspace=ids[0], workspaces=[ids[2]], page_size=50))
    assert {h.workspace for h in union.hits} == {ids[0], ids[2]}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await server.knowledge.Search(kpb.SearchRequest(
            query="x", workspaces=[ids[0]] * (limits.MAX_SEARCH_WORKSPACES + 1)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await server.knowledge.Search(kpb.SearchRequest(query="x", workspaces=["nope"]))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
