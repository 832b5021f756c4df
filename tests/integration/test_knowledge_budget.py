"""The 50 KB promise, by property: over random queries, paths, filters, line ranges, page
tokens and budgets, against awkward workspaces (a 2.5 MB file of long lines, CJK and emoji at
every cut point, a one-line minified script, thousands of tiny files), every response of
every KnowledgeService RPC is at most the budget, is valid UTF-8, never splits a character
from what joins it, and says `truncated` whenever it left anything out.

The workspaces are indexed once per module; most examples run over memory storage, and a
smaller pass runs over PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import Chunk
from services.knowledge.file_context import lines_of, symbols_of
from services.knowledge.overview import Overview, OverviewCache
from services.knowledge.wire.fit import safe_text
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import ServerHandle, running_server, settings_for
from tests.support.workspaces import awkward_workspace, index, shop_workspace

BUDGETS = (50_000, 4_000, 1_024)
KINDS = [v for v in pb.SymbolKind.values() if v]
GLOBS = ["", "*.py", "big/**", "many/d1/**", "**/*.md", "*.js", "[!m]*/**", "many/d?/s1*/",
         "shop/*.py", "nothing/**"]
LANGUAGES = ["python", "javascript", "markdown", "Python", "toml", "go", "text"]
WORDS = ["handler", "value", "note", "return", "tiny", "数据", "検索", "🔥", "x", "var",
         "InventoryRegistry", "discount", "parse_config", "多字节", "awkward", "a" * 30]
TRICKS = ["../x", "/etc/passwd", "%2e%2e/x", "a/../../b", "．．/x", "a\\..\\..\\b", "C:\\x",
          "", "   ", "big/", "./big//huge.py", "many", "nope.py"]
ATTACHED = ("\u200d", "\u0301", "\ufe0f")
SETTINGS = settings(deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class World:
    """An indexed storage (built once per module), the servers of one test over it (one per
    budget), and what the index holds."""

    def __init__(self, storage: Storage, roots: list[Path], workspaces: list[str]) -> None:
        self.storage = storage
        self.roots = roots
        self.workspaces = workspaces  # ids; the first is every server's default
        self.servers: dict[int, ServerHandle] = {}
        self.paths: dict[str, list[str]] = {}  # workspace -> indexed paths
        self.chunks: dict[str, dict[str, Chunk]] = {}  # workspace -> chunk id -> chunk
        self.overviews: dict[str, Overview] = {}
        self.line_counts: dict[str, dict[str, int]] = {}  # workspace -> path -> lines

    def __repr__(self) -> str:  # hypothesis prints it with every failure
        return f"World({self.storage.name}, {self.workspaces})"


async def _world(storage: Storage, tmp, *, big_bytes: int, tiny_files: int) -> World:
    roots = [awkward_workspace(tmp.mktemp("awkward"), big_bytes=big_bytes,
                               tiny_files=tiny_files), shop_workspace(tmp.mktemp("shop"))]
    ids = [(await index(settings_for(root), storage))[0].id for root in roots]
    world = World(storage, roots, ids)
    for workspace_id in ids:
        world.paths[workspace_id] = [f.path for f in await storage.list_files(workspace_id)]
        world.chunks[workspace_id] = {c.id: c async for batch in storage.iter_chunks(workspace_id)
                                      for c in batch}
        world.overviews[workspace_id] = await OverviewCache(storage).get(workspace_id)
        counts = world.line_counts[workspace_id] = {}
        for chunk in world.chunks[workspace_id].values():
            counts[chunk.path] = max(counts.get(chunk.path, 0), chunk.end_line)
    return world


@asynccontextmanager
async def serving(world: World) -> AsyncIterator[World]:
    """One server per budget over the world's storage, for one test."""
    async with contextlib.AsyncExitStack() as stack:
        for budget in BUDGETS:
            world.servers[budget] = await stack.enter_async_context(running_server(
                world.storage, world.roots[0], KNOWPORT_MAX_RESPONSE_BYTES=str(budget)))
        yield world
    world.servers.clear()


@pytest.fixture(scope="module")
async def memory_index(tmp_path_factory):
    # 2.5 MB: fifty times the largest budget, and past 2 MiB (a length prefix's fourth byte);
    # the 5 MB first used here proved no more, at twice the indexing.
    return await _world(MemoryStorage(), tmp_path_factory, big_bytes=2_500_000,
                        tiny_files=3000)


@pytest.fixture(scope="module")
async def postgres_index(tmp_path_factory, embedded_pg):
    dsn = embedded_pg.create_database("knowledge_budget")
    storage = PostgresStorage(dsn)
    await storage.open()
    try:
        yield await _world(storage, tmp_path_factory, big_bytes=500_000, tiny_files=200)
    finally:
        await storage.close()
        embedded_pg.drop_database("knowledge_budget")


@pytest.fixture
async def memory_world(memory_index):
    async with serving(memory_index) as world:
        yield world


@pytest.fixture
async def postgres_world(postgres_index):
    async with serving(postgres_index) as world:
        yield world


# --- what every response must satisfy -------------------------------------------------------

def _strings(message: Message):
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item)
            elif isinstance(item, str):
                yield item


def check_envelope(response: Message, budget: int) -> None:
    assert response.ByteSize() <= budget
    assert len(response.SerializeToString()) <= budget
    for text in _strings(response):
        text.encode("utf-8")  # raises on a lone surrogate
    type(response).FromString(response.SerializeToString())  # parses as valid proto3 UTF-8


def check_cut(whole: str, part: str) -> None:
    """`part` is a prefix of `whole` that does not split a character from what joins it."""
    assert whole.startswith(part)
    if part != whole and part:
        assert not part.endswith("\u200d") and not whole[len(part)].startswith(ATTACHED)


async def call(rpc, request) -> Message | None:
    try:
        return await rpc(request)
    except grpc.aio.AioRpcError as err:
        assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), (
            err.code(), err.details())
        return None


async def check_search(world: World, budget: int, request: pb.SearchRequest) -> None:
    server = world.servers[budget]
    workspace = request.workspace or world.workspaces[0]
    for _ in range(2):  # this page and the next
        response = await call(server.knowledge.Search, request)
        if response is None:
            assert (not request.query.strip() or request.filter.path_glob not in GLOBS
                    or any("\0" in text for text in _strings(request)))  # NUL: refused
            return
        check_envelope(response, budget)
        event(f"search: {'truncated' if response.truncated else 'whole'}, budget {budget}")
        for hit in response.hits:
            text = safe_text(world.chunks[workspace][hit.chunk_id].text)
            # The chunk's start, or a window around a query term further in.
            check_cut(text[hit.snippet_offset:], hit.snippet)
            if hit.snippet_offset:
                assert not text[hit.snippet_offset].startswith(ATTACHED)
                assert text[hit.snippet_offset - 1] != "\u200d"
            assert hit.snippet_truncated == (hit.snippet != text)
            assert response.truncated or not hit.snippet_truncated
        size = min(request.page_size or 10, 50)
        skipped = any("skipped" in n for n in response.notices)
        if response.next_page_token and len(response.hits) < size and not skipped:
            assert response.truncated
        if not response.next_page_token:
            return
        request.page_token = response.next_page_token


async def check_file_context(world: World, budget: int,
                             request: pb.GetFileContextRequest) -> None:
    server = world.servers[budget]
    workspace = request.workspace or world.workspaces[0]
    for _ in range(2):
        response = await call(server.knowledge.GetFileContext, request)
        if response is None:
            return
        check_envelope(response, budget)
        event(f"file: {'truncated' if response.truncated else 'whole'}, budget {budget}")
        chunks = await world.storage.get_chunks(workspace, response.path)
        lines, symbols = lines_of(chunks), symbols_of(chunks)
        first, last = response.text_start_line, response.text_end_line
        wanted_start = max(request.start_line, 1)
        wanted_end = min(request.end_line or len(lines), len(lines))
        if response.text:
            assert first == wanted_start
            whole = safe_text("".join(lines[first - 1:last]))
            check_cut(whole, response.text)
            if response.text != whole:
                assert first == last and response.truncated  # one line too long: cut
        if wanted_start <= wanted_end and (last < wanted_end or not response.text):
            assert response.truncated
        if request.start_line > 1 or request.end_line or request.start_column:  # a range:
            symbols = [s for s in symbols  # only the symbols overlapping it
                       if s.end_line >= wanted_start and s.start_line <= wanted_end]
        assert response.symbols_outside_range == len(symbols_of(chunks)) - len(symbols)
        assert [s.name for s in response.symbols] == [
            safe_text(s.name) for s in symbols[:len(response.symbols)]]
        if len(response.symbols) < len(symbols) or response.next_page_token:
            assert response.truncated
        if not response.next_page_token:
            return
        request.page_token = response.next_page_token


async def check_overview(world: World, budget: int, request: pb.GetOverviewRequest) -> None:
    response = await call(world.servers[budget].knowledge.GetOverview, request)
    if response is None:
        assert request.workspace not in world.workspaces
        return
    check_envelope(response, budget)
    event(f"overview: {'truncated' if response.truncated else 'whole'}, budget {budget}")
    full = world.overviews[request.workspace or world.workspaces[0]]
    depth = min(request.max_depth or 3, 8)
    expected = {
        "languages": [s[0] for s in full.languages],
        "layout": [d.path for d in full.folders if d.depth <= depth],
        "key_modules": [m[0] for m in full.key_modules],
        "entry_points": list(full.entry_points),
        "symbols": [(s.name, s.path) for s in full.symbols],
    }
    shown = {
        "languages": [s.language for s in response.languages],
        "layout": [d.path for d in response.layout],
        "key_modules": [m.path for m in response.key_modules],
        "entry_points": list(response.entry_points),
        "symbols": [(s.name, s.path) for s in response.symbols],
    }
    for name, items in shown.items():
        assert items == expected[name][:len(items)], name
    cut = any(len(shown[name]) < len(expected[name]) for name in shown)
    assert response.truncated == cut


# --- strategies -------------------------------------------------------------------------------

def workspaces(world: World) -> st.SearchStrategy[str]:
    return st.sampled_from(["", world.workspaces[0], world.workspaces[1]])


queries = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    st.text(min_size=0, max_size=40),
)
filters = st.one_of(
    st.just(pb.SearchFilter()),
    st.builds(pb.SearchFilter, path_glob=st.sampled_from(GLOBS)),
    st.builds(pb.SearchFilter, path_glob=st.sampled_from(GLOBS),
              languages=st.lists(st.sampled_from(LANGUAGES), max_size=3),
              kinds=st.lists(st.sampled_from(KINDS), max_size=3)))
page_sizes = st.one_of(st.just(0), st.integers(1, 50), st.just(500))
lines = st.one_of(st.just(0), st.integers(1, 40), st.integers(1, 200_000))


def search_requests(world: World):
    return st.builds(pb.SearchRequest, workspace=workspaces(world), query=queries,
                     mode=st.sampled_from(list(pb.SearchMode.values())), filter=filters,
                     page_size=page_sizes)


def file_requests(world: World):
    @st.composite
    def build(draw):
        workspace = draw(workspaces(world))
        indexed = world.paths[workspace or world.workspaces[0]]
        large = [p for p in indexed if not p.startswith("many/")]  # the awkward ones
        awkward = [p for p in large if p.startswith(("big/", "notes/"))] or large
        path = draw(st.one_of(st.sampled_from(awkward), st.sampled_from(awkward),
                              st.sampled_from(large), st.sampled_from(indexed),
                              st.sampled_from(TRICKS), st.text(max_size=20)))
        count = world.line_counts[workspace or world.workspaces[0]].get(path, 50)
        near = st.one_of(st.just(0), st.integers(1, count + 2))
        start, end = draw(st.one_of(near, lines)), draw(st.one_of(near, lines))
        if end and start > end and draw(st.booleans()):
            start, end = end, start
        return pb.GetFileContextRequest(workspace=workspace, path=path, start_line=start,
                                        end_line=end)
    return build()


def overview_requests(world: World):
    return st.builds(pb.GetOverviewRequest, workspace=st.one_of(workspaces(world),
                                                                st.just("unknown")),
                     max_depth=st.integers(0, 12))


# --- the properties ---------------------------------------------------------------------------

@settings(SETTINGS, max_examples=80)
@given(data=st.data())
async def test_every_search_response_fits_and_flags_its_cuts(memory_world, data):
    budget = data.draw(st.sampled_from(BUDGETS))
    await check_search(memory_world, budget, data.draw(search_requests(memory_world)))


@settings(SETTINGS, max_examples=60)
@given(data=st.data())
async def test_every_file_context_response_fits_and_flags_its_cuts(memory_world, data):
    budget = data.draw(st.sampled_from(BUDGETS))
    await check_file_context(memory_world, budget, data.draw(file_requests(memory_world)))


@settings(SETTINGS, max_examples=30)
@given(data=st.data())
async def test_every_overview_response_fits_and_flags_its_cuts(memory_world, data):
    budget = data.draw(st.sampled_from(BUDGETS))
    await check_overview(memory_world, budget, data.draw(overview_requests(memory_world)))


@pytest.mark.postgres
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
async def test_every_response_fits_over_postgres_too(postgres_world, data):
    world = postgres_world
    budget = data.draw(st.sampled_from(BUDGETS))
    rpc = data.draw(st.sampled_from(["search", "file", "overview"]))
    if rpc == "search":
        await check_search(world, budget, data.draw(search_requests(world)))
    elif rpc == "file":
        await check_file_context(world, budget, data.draw(file_requests(world)))
    else:
        await check_overview(world, budget, data.draw(overview_requests(world)))
