"""Search leaves out tests and documentation when asked (SearchFilter.exclude_roles), in every
mode, over real gRPC on both backends, through the Python client and the MCP tool; an unknown
role is INVALID_ARGUMENT listing the known ones."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from mcp import Client

from clients import AsyncKnowportClient, FileRole, KnowportRpcError
from knowport.v1 import knowledge_service_pb2 as pb
from services.mcp_bridge.server import build_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for
from tests.support.workspaces import SHOP_FILES, index, write_files

MODES = (pb.SEARCH_MODE_LEXICAL, pb.SEARCH_MODE_SEMANTIC, pb.SEARCH_MODE_HYBRID)
TESTS, DOCS = pb.FILE_ROLE_TESTS, pb.FILE_ROLE_DOCS
# Test files that say "discount" far more often than the implementation does, so the best
# lexical hits are all tests and a page without them must be read from deeper in the ranking.
MANY_TESTS = {f"tests/test_discount_{n}.py": (
    f"def test_discount_case_{n}():\n"
    + "".join(f"    assert discount(discount_{i}) == discount_{i}  # discount\n"
              for i in range(6)))
    for n in range(40)}


def is_test(path: str) -> bool:
    return path.startswith("tests/")


def is_doc(path: str) -> bool:
    return path.endswith(".md")


@pytest.fixture
async def shop(tmp_path, storage):
    root = write_files(tmp_path / "shop", {**SHOP_FILES, **MANY_TESTS})
    async with running_server(storage, root, EMBEDDING_BACKEND="local") as server:
        await index(server.settings, storage)
        yield server


async def paths_of(server, query: str, mode: int, exclude=(), **fields) -> list[str]:
    found = await server.knowledge.Search(pb.SearchRequest(
        query=query, mode=mode, page_size=50,
        filter=pb.SearchFilter(exclude_roles=list(exclude), **fields)))
    assert found.effective_mode == mode, list(found.notices)
    return [hit.path for hit in found.hits]


@pytest.mark.parametrize("mode", MODES)
async def test_tests_docs_or_both_are_left_out_in_every_mode(shop, mode):
    everything = await paths_of(shop, "discount price", mode)
    assert any(map(is_test, everything)) and any(map(is_doc, everything)), everything
    no_tests = await paths_of(shop, "discount price", mode, [TESTS])
    assert not any(map(is_test, no_tests)) and any(map(is_doc, no_tests)), no_tests
    no_docs = await paths_of(shop, "discount price", mode, [DOCS])
    assert not any(map(is_doc, no_docs)) and any(map(is_test, no_docs)), no_docs
    code = await paths_of(shop, "discount price", mode, [TESTS, DOCS])
    assert code and "shop/pricing.py" in code, code
    assert not any(is_test(p) or is_doc(p) for p in code), code
    # Another filter still applies beside it.
    assert set(await paths_of(shop, "discount price", mode, [TESTS, DOCS],
                              languages=["javascript"])) <= {"web/app.js"}


async def test_a_page_without_tests_is_filled_from_deeper_in_the_ranking(shop):
    # The best 40 lexical hits for "discount" are test functions; the first page of two must
    # still hold the implementation's two hits, and the next page follows on from them.
    first = await shop.knowledge.Search(pb.SearchRequest(
        query="discount", mode=pb.SEARCH_MODE_LEXICAL, page_size=2,
        filter=pb.SearchFilter(exclude_roles=[TESTS, DOCS])))
    assert [h.path for h in first.hits] == ["shop/pricing.py", "shop/cli.py"]
    assert first.next_page_token
    rest = await shop.knowledge.Search(pb.SearchRequest(
        query="discount", mode=pb.SEARCH_MODE_LEXICAL, page_size=2,
        page_token=first.next_page_token,
        filter=pb.SearchFilter(exclude_roles=[TESTS, DOCS])))
    assert not any(is_test(h.path) or is_doc(h.path) for h in rest.hits)
    assert {(h.path, h.start_line) for h in rest.hits}.isdisjoint(
        {(h.path, h.start_line) for h in first.hits})
    # A page token belongs to its filter: one from the unfiltered search is refused.
    unfiltered = await shop.knowledge.Search(pb.SearchRequest(
        query="discount", mode=pb.SEARCH_MODE_LEXICAL, page_size=2))
    assert all(is_test(h.path) for h in unfiltered.hits)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await shop.knowledge.Search(pb.SearchRequest(
            query="discount", mode=pb.SEARCH_MODE_LEXICAL, page_size=2,
            page_token=unfiltered.next_page_token,
            filter=pb.SearchFilter(exclude_roles=[TESTS])))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_an_empty_answer_says_the_filter_left_nothing(shop):
    found = await shop.knowledge.Search(pb.SearchRequest(
        query="assert", mode=pb.SEARCH_MODE_LEXICAL,
        filter=pb.SearchFilter(exclude_roles=[TESTS])))
    assert not found.hits
    assert "no chunk that matches the filter holds any of the query's words" in found.notices


@pytest.mark.parametrize("roles", [[7], [TESTS, 0], [TESTS, DOCS, TESTS]])
async def test_an_unknown_role_is_invalid_argument_listing_the_known_ones(shop, roles):
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await shop.knowledge.Search(pb.SearchRequest(
            query="discount", filter=pb.SearchFilter(exclude_roles=roles)))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "filter.exclude_roles" in info.value.details()
    if len(roles) < 3:
        assert "FILE_ROLE_TESTS" in info.value.details()
        assert "FILE_ROLE_DOCS" in info.value.details()


async def test_the_python_client_takes_roles_by_name(shop):
    async with AsyncKnowportClient(shop.address) as client:
        found = await client.search("discount", mode="lexical", page_size=50,
                                    exclude_roles=["tests", "DOCS"])
        assert found.hits and not any(is_test(h.path) or is_doc(h.path) for h in found.hits)
        no_tests = await client.search("discount price", mode="lexical", page_size=50,
                                       exclude_roles=FileRole.TESTS)
        paths = [h.path for h in no_tests.hits]
        assert any(map(is_doc, paths)) and not any(map(is_test, paths)), paths
        with pytest.raises(ValueError, match="unknown role 'benchmarks'; valid: tests, docs"):
            await client.search("discount", exclude_roles=["benchmarks"])
        with pytest.raises(KnowportRpcError) as info:
            await client.search("discount", exclude_roles=[9])
        assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_mcp_search_tool_leaves_out_tests_and_docs(tmp_path: Path):
    root = write_files(tmp_path / "shop", {**SHOP_FILES, **MANY_TESTS})
    storage = MemoryStorage()
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        settings = settings_for(root, GRPC_PORT=str(server.running.port))
        async with Client(build_server(settings)) as client:
            every = await client.call_tool("search_code", {
                "query": "discount", "mode": "lexical", "page_size": 50})
            assert any(is_test(h["path"]) for h in every.structured_content["hits"])
            result = await client.call_tool("search_code", {
                "query": "discount", "mode": "lexical", "page_size": 50,
                "exclude": ["tests", "docs"]})
            assert not result.is_error, result.content[0].text
            paths = [h["path"] for h in result.structured_content["hits"]]
            assert paths and not any(is_test(p) or is_doc(p) for p in paths), paths
            wrong = await client.call_tool("search_code", {"query": "discount",
                                                           "exclude": ["benchmarks"]})
            assert wrong.is_error
            text = wrong.content[0].text
            assert "INVALID_ARGUMENT: exclude[0]: input should be 'tests' or 'docs'" in text
