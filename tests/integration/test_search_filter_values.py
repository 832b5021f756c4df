"""Search filters name only languages and kinds that exist, and an empty lexical answer says
why, over real gRPC on both storage backends."""

from __future__ import annotations

import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.workspace_files.languages import known_languages
from tests.support.grpc_server import running_server
from tests.support.workspaces import index, shop_workspace


@pytest.fixture
async def server(tmp_path, storage):
    async with running_server(storage, shop_workspace(tmp_path / "shop")) as handle:
        await index(handle.settings, storage)
        yield handle


async def _search_error(server, **filter_fields) -> grpc.aio.AioRpcError:
    request = pb.SearchRequest(query="discount", mode=pb.SEARCH_MODE_LEXICAL,
                               filter=pb.SearchFilter(**filter_fields))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await server.knowledge.Search(request)
    return info.value


async def test_an_unknown_language_is_invalid_argument_listing_the_known_ones(server):
    error = await _search_error(server, languages=["python", "py"])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details()
    assert "filter.languages" in details and "'py'" in details
    assert "did you mean 'python'" in details
    assert all(language in details for language in known_languages())
    error = await _search_error(server, languages=["klingon"])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "did you mean" not in error.details()


async def test_known_languages_in_any_case_still_filter(server):
    found = await server.knowledge.Search(pb.SearchRequest(
        query="discount", mode=pb.SEARCH_MODE_LEXICAL,
        filter=pb.SearchFilter(languages=[" Python ", "MARKDOWN"])))
    assert found.hits and all(h.path.endswith((".py", ".md")) for h in found.hits)


async def test_an_unknown_kind_is_invalid_argument_listing_the_known_ones(server):
    error = await _search_error(server, kinds=[pb.SYMBOL_KIND_FUNCTION, 99])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "filter.kinds" in error.details()
    assert all(name in error.details() for name, value in pb.SymbolKind.items() if value)


async def test_an_empty_lexical_answer_says_why(server):
    for mode in (pb.SEARCH_MODE_LEXICAL, pb.SEARCH_MODE_HYBRID):
        found = await server.knowledge.Search(pb.SearchRequest(query="zebra xylophone",
                                                               mode=mode))
        assert not found.hits
        assert "no chunk holds any of the query's words" in found.notices, mode
    narrowed = await server.knowledge.Search(pb.SearchRequest(
        query="discount", mode=pb.SEARCH_MODE_LEXICAL,
        filter=pb.SearchFilter(path_glob="nowhere/**")))
    assert not narrowed.hits
    assert "no chunk that matches the filter holds any of the query's words" in narrowed.notices
    found = await server.knowledge.Search(pb.SearchRequest(query="discount",
                                                           mode=pb.SEARCH_MODE_LEXICAL))
    assert found.hits and not any("holds any" in n for n in found.notices)
