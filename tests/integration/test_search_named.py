"""Hybrid search puts first the definition of an identifier the query names, over real gRPC on
both backends, with the index built by the real pipeline (symbols included) and the test LLM
server's embeddings; a query that names nothing ranks as before."""

from __future__ import annotations

import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.knowledge.fusion import DEFAULT_FUSION, hybrid_ranking
from services.knowledge.named import named_definitions
from services.knowledge.query_terms import lexical_query
from services.knowledge.search import HYBRID_DEPTH
from tests.support.grpc_server import running_server
from tests.support.openai_server import embed_text
from tests.support.workspaces import index

# `parse_args` is defined once, in cli/args.py, and said more often everywhere else: in a
# function named `parse` (whose short name matches the query's words better), in a caller and
# in a test. `Options.merge` has a namesake in another class.
FILES = {
    "cli/args.py": '''
def parse_args(argv):
    options = {}
    for item in argv:
        key, _, value = item.partition("=")
        options[key] = value
    return options


class Options:
    def merge(self, other):
        self.values.update(other.values)
        return self
''',
    "cli/parse.py": '''
from cli.args import parse_args


def parse(text):
    first = parse_args(text.split())
    second = parse_args(text.splitlines())
    return parse_args([*first, *second])
''',
    "cli/main.py": '''
from cli.args import parse_args


def main(argv):
    settings = parse_args(argv)
    defaults = parse_args(["verbose=0"])
    return {**defaults, **settings}
''',
    "cli/config.py": '''
class Config:
    def merge(self, other):
        merged = dict(self.values)
        merged.update(other.values)
        return merged
''',
    "tests/test_args.py": '''
from cli.args import parse_args


def test_parse_args():
    assert parse_args(["a=1"]) == {"a": "1"}
    assert parse_args([]) == {}
''',
}

ENV = {"EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "test-embed"}


@pytest.fixture
async def served(tmp_path, llm, storage):
    root = tmp_path / "named"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.lstrip())
    async with running_server(storage, root, OPENAI_API_BASE=llm.base_url, **ENV) as server:
        await index(server.settings, storage)
        yield server


async def hybrid(server, query: str) -> list[tuple[str, str]]:
    found = await server.knowledge.Search(pb.SearchRequest(query=query,
                                                           mode=pb.SEARCH_MODE_HYBRID))
    assert found.effective_mode == pb.SEARCH_MODE_HYBRID
    return [(hit.path, hit.symbol) for hit in found.hits]


async def fused_without_names(server, query: str) -> list[tuple[str, str]]:
    """The same query's hybrid ranking by fusion alone, from the same storage."""
    storage, workspace = server.storage, server.workspace.id
    lexical = await storage.search_lexical(workspace, lexical_query(query), HYBRID_DEPTH)
    semantic = await storage.search_semantic(workspace, embed_text(query), HYBRID_DEPTH)
    fused = hybrid_ranking(query, lexical, semantic, HYBRID_DEPTH, DEFAULT_FUSION)
    return [(hit.chunk.path, hit.chunk.symbol) for hit in fused]


async def test_the_definition_a_query_names_comes_first(served):
    for query in ("parse_args", "where is parse_args defined", "Options.merge"):
        assert DEFAULT_FUSION.named_weight(query) > 0, query
    # Fusion alone ranks a caller first: the boost is what moves the definition up.
    assert (await fused_without_names(served, "parse_args"))[0] != ("cli/args.py", "parse_args")
    assert (await hybrid(served, "parse_args"))[0] == ("cli/args.py", "parse_args")
    assert (await hybrid(served, "where is parse_args defined"))[0] == ("cli/args.py",
                                                                        "parse_args")
    # A dotted name means the method of that class (a small class is one chunk), not its
    # namesake's.
    assert (await hybrid(served, "Options.merge"))[0] == ("cli/args.py", "Options")
    found = await named_definitions(served.storage, served.workspace.id, "Options.merge")
    assert [(hit.chunk.path, hit.score) for hit in found] == [("cli/args.py", 1.0)]
    both = await named_definitions(served.storage, served.workspace.id, "`merge`")
    assert [(hit.chunk.path, hit.score) for hit in both] == [("cli/args.py", 0.5),
                                                             ("cli/config.py", 0.5)]


async def test_a_query_that_names_nothing_ranks_by_fusion_alone(served):
    for query in ("read the options from the command line", "merge the values"):
        assert await hybrid(served, query) == (await fused_without_names(served, query))[:10]


async def test_a_filter_keeps_a_named_definition_out(served):
    request = pb.SearchRequest(query="parse_args", mode=pb.SEARCH_MODE_HYBRID,
                               filter=pb.SearchFilter(path_glob="tests/"))
    found = await served.knowledge.Search(request)
    assert found.hits and {hit.path for hit in found.hits} == {"tests/test_args.py"}
