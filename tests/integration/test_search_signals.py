"""Signals an agent reads beside the hits: `no_good_match` when the best hit is no closer to
the query than the best hit of nonsense is, over the real local embedding model (the
threshold is calibrated for it) on both backends."""

from __future__ import annotations

import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.knowledge.fusion import query_is_identifier
from services.knowledge.search import NO_GOOD_MATCH
from tests.support.grpc_server import running_server
from tests.support.workspaces import index, shop_workspace


@pytest.fixture
async def local_shop(tmp_path, storage):
    root = shop_workspace(tmp_path / "shop")
    async with running_server(storage, root, EMBEDDING_BACKEND="local") as server:
        await index(server.settings, storage)
        yield server


def no_match(response: pb.SearchResponse) -> bool:
    return any(n.startswith(NO_GOOD_MATCH) for n in response.notices)


@pytest.mark.parametrize("mode", [pb.SEARCH_MODE_SEMANTIC, pb.SEARCH_MODE_HYBRID])
async def test_a_nonsense_query_gets_the_no_good_match_notice_and_a_real_one_does_not(
        local_shop, mode):
    for query in ("walrus lullaby trombone pancake", "glacier saxophone flamingo"):
        found = await local_shop.knowledge.Search(pb.SearchRequest(query=query, mode=mode))
        assert found.hits and no_match(found), (query, list(found.notices))
    for query in ("compute the discount of a price", "read the configuration file",
                  "add an item to the inventory registry"):
        found = await local_shop.knowledge.Search(pb.SearchRequest(query=query, mode=mode))
        assert found.hits and not no_match(found), (query, list(found.notices))


def test_queries_that_name_code_are_told_from_questions_in_sentences():
    for text in ("parse_config", "InventoryRegistry.add_item", "getUser", "shop/cli.py",
                 "render()", "compute_discount", "registry", "Context.invoke callback order"):
        assert query_is_identifier(text), text
    # A sentence that mentions an identifier is still a sentence.
    for text in ("how is the discount of a price computed",
                 "where does the shop read its configuration file",
                 "Raise `NotCallableError` if the value cannot be called",
                 "where does parse_config open the file"):
        assert not query_is_identifier(text), text


def _supports(response: pb.SearchResponse) -> list[int]:
    """Places of the test file's and the guide's hits."""
    return [i for i, hit in enumerate(response.hits)
            if hit.path in ("tests/test_pricing.py", "docs/guide.md")]


async def test_a_question_in_sentences_gets_implementation_before_tests_and_docs(local_shop):
    for query in ("where are discounts computed", "how does the discount work"):
        # Ranked by words alone (no prior), the guide's "Discounts" section comes first: it
        # holds every word of the question.
        words = await local_shop.knowledge.Search(
            pb.SearchRequest(query=query, mode=pb.SEARCH_MODE_LEXICAL))
        assert _supports(words)[:1] == [0], (query, [h.path for h in words.hits])
        found = await local_shop.knowledge.Search(pb.SearchRequest(query=query))
        paths = [hit.path for hit in found.hits]
        assert found.effective_mode == pb.SEARCH_MODE_HYBRID
        assert (paths[0], found.hits[0].symbol) == ("shop/pricing.py", "compute_discount")
        assert _supports(found) and min(_supports(found)) > 0, (query, paths)
    # A query that names a test still finds the test first.
    named = await local_shop.knowledge.Search(pb.SearchRequest(query="test_discount"))
    assert named.hits[0].path == "tests/test_pricing.py"
