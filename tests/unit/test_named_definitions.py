"""Which identifiers a search query names, which definitions a dotted name can mean, and the
chunk that holds a definition (no I/O)."""

from __future__ import annotations

import pytest

from services.domain.models import Chunk
from services.domain.symbols import SymbolDefinition
from services.knowledge.named import (
    MAX_NAMED,
    Named,
    holding_chunk,
    module_path,
    named_identifiers,
    written_as,
)


@pytest.mark.parametrize(("query", "names"), [
    ("parse_args", ["parse_args"]),
    ("Router.url_path_for", ["Router.url_path_for"]),
    ("where is getUser() called", ["getUser"]),
    ("how does HTTPConnection.close work", ["HTTPConnection.close"]),
    ("Raise `NotCallableError` if the value cannot be called", ["NotCallableError"]),
    ("what does `render` return", ["render"]),
    ("Console", ["Console"]),  # a query of one word and nothing else
    ("_private_helper", ["_private_helper"]),
    ("where are redirects followed", []),
    ("how does render work", []),  # a plain word in a sentence is prose
    ("a/b.py", []),
    ("Returns the parsed headers. Then stops", []),
])
def test_a_query_names_the_identifiers_only_code_would_write(query, names):
    assert [n.dotted for n in named_identifiers(query)] == names


def test_a_query_names_at_most_a_few_identifiers():
    query = " ".join(f"name_{i}" for i in range(MAX_NAMED + 2))
    assert [n.name for n in named_identifiers(query)] == [f"name_{i}" for i in range(MAX_NAMED)]


def definition(qualified: str, path: str = "pkg/routing.py") -> SymbolDefinition:
    return SymbolDefinition(qualified.rsplit(".", 1)[-1], qualified, "method", 10, 20, "", path)


def test_a_dotted_name_means_only_definitions_it_ends():
    named = Named("url_path_for", "Router.url_path_for")
    assert written_as(definition("Router.url_path_for"), named)
    assert written_as(definition("Router.url_path_for"), Named("url_path_for",
                                                               "routing.Router.url_path_for"))
    assert not written_as(definition("Mount.url_path_for"), named)
    assert not written_as(definition("BaseRouter.url_path_for"), named)  # on a dot only
    assert written_as(definition("Mount.url_path_for"), Named("url_path_for", "url_path_for"))
    assert written_as(definition("get", "httpx/_api.py"), Named("get", "_api.get"))
    assert module_path("pkg/__init__.py") == "pkg" and module_path("a/b.py") == "a.b"


def test_the_innermost_chunk_holds_a_definition():
    def chunk(start: int, end: int) -> Chunk:
        return Chunk(id=f"{start}", path="a.py", start_line=start, end_line=end, symbol="",
                     kind="function", language="python", text="", content_hash="")

    header, method, other = chunk(1, 5), chunk(4, 12), chunk(13, 20)
    assert holding_chunk([header, method, other], 4) is method
    assert holding_chunk([header, method, other], 2) is header
    assert holding_chunk([header, other], 30) is None
