"""The storage contract (services/storage/port.py), run against every backend.

Each test runs once over the memory adapter and once over PostgreSQL (a fresh database on the
session's embedded server). Lease expiry passes on a fake clock in memory and in real time, with
short TTLs, in PostgreSQL, whose lease follows the database clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from array import array
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.errors import AlreadyExists, InvalidArgument
from services.domain.models import (
    Chunk,
    Enrichment,
    FileRecord,
    IngestJob,
    JobState,
    SearchFilters,
    StorageStats,
    Workspace,
    chunk_id,
    content_hash,
)
from services.storage.memory import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage

WS = "ws-main"
OTHER_WS = "ws-other"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclasses.dataclass
class Backend:
    new: Callable[[], Storage]  # a storage object over this test's data (not yet opened)
    pass_time: Callable[[float], Awaitable[None]]  # let lease time go by


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        clock = FakeClock()
        shared = MemoryStorage(clock=clock)  # memory data lives in the object itself
        return Backend(new=lambda: shared, pass_time=clock.advance)
    dsn = request.getfixturevalue("pg_dsn")
    return Backend(new=lambda: PostgresStorage(dsn, connect_timeout=5, command_timeout=10),
                   pass_time=asyncio.sleep)


@pytest.fixture
async def storage(backend: Backend):
    store = backend.new()
    await store.open()
    yield store
    await store.close()


# --- builders ---------------------------------------------------------------------------

def make_chunk(path: str, start: int, text: str, *, end: int | None = None,
               language: str = "python", kind: str = "function", symbol: str = "",
               description: str = "", purpose: str = "",
               embedding: tuple[float, ...] | None = None) -> Chunk:
    end = start + text.count("\n") if end is None else end
    digest = content_hash(text)
    return Chunk(id=chunk_id(path, digest, start, end), path=path, start_line=start,
                 end_line=end, symbol=symbol, kind=kind, language=language, text=text,
                 content_hash=digest, description=description, purpose=purpose,
                 embedding=embedding)


def make_file(path: str, chunks: list[Chunk], *, language: str = "python",
              size: int | None = None, summary: str = "",
              indexed_at: datetime | None = None) -> FileRecord:
    body = "\n".join(c.text for c in chunks)
    return FileRecord(path=path, content_hash=content_hash(body),
                      size_bytes=len(body) if size is None else size, mtime_ns=1_700_000_000_123,
                      language=language, summary=summary, indexed_at=indexed_at)


async def put_file(storage: Storage, path: str, *texts: str, workspace: str = WS,
                   **chunk_fields) -> list[Chunk]:
    chunks = [make_chunk(path, 1 + 10 * i, text, **chunk_fields) for i, text in enumerate(texts)]
    language = chunk_fields.get("language", "python")
    await storage.replace_file(workspace, make_file(path, chunks, language=language), chunks)
    return chunks


def float32(values: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(array("f", values))


def ids(hits) -> list[str]:
    return [h.chunk.id for h in hits]


# --- workspaces -------------------------------------------------------------------------

async def test_workspace_upsert_keeps_the_first_and_lists_by_id(storage):
    created = await storage.upsert_workspace(Workspace(id="b", root="/src/b"))
    assert (created.id, created.root) == ("b", "/src/b")
    assert created.created_at is not None

    again = await storage.upsert_workspace(Workspace(id="b", root="/elsewhere"))
    assert again == created

    when = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    a = await storage.upsert_workspace(Workspace(id="a", root="/src/a", created_at=when))
    assert a.created_at == when
    assert await storage.get_workspace("a") == a
    assert await storage.get_workspace("missing") is None
    assert [w.id for w in await storage.list_workspaces()] == ["a", "b"]


# --- files and chunks -------------------------------------------------------------------

async def test_replace_file_then_read_back_in_line_order_with_embeddings(storage):
    path = "services/storage/port.py"
    chunks = [make_chunk(path, 20, "def c():\n    pass", embedding=(0.1, 0.2, 0.3)),
              make_chunk(path, 1, "import os", kind="lines", description="imports",
                         purpose="setup"),
              make_chunk(path, 10, "class B:\n    x = 1", kind="class", symbol="B",
                         embedding=(-1.5, 2.0, 1e-3))]
    when = datetime(2025, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    record = make_file(path, chunks, summary="the port", indexed_at=when)
    await storage.replace_file(WS, record, chunks)

    assert await storage.get_file(WS, path) == record
    stored = await storage.get_chunks(WS, path)
    assert [c.start_line for c in stored] == [1, 10, 20]
    expected = sorted(chunks, key=lambda c: c.start_line)
    assert stored == [dataclasses.replace(c, embedding=c.embedding and float32(c.embedding))
                      for c in expected]

    assert await storage.get_file(WS, "nope.py") is None
    assert await storage.get_chunks(WS, "nope.py") == []
    assert await storage.get_file(OTHER_WS, path) is None
    assert await storage.get_chunks(OTHER_WS, path) == []


async def test_replace_file_fills_in_indexed_at(storage):
    chunks = await put_file(storage, "a.py", "x = 1")
    record = await storage.get_file(WS, "a.py")
    assert record.indexed_at is not None
    assert abs(record.indexed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert await storage.get_chunks(WS, "a.py") == chunks


async def test_replacing_a_file_drops_its_old_chunks(storage):
    await put_file(storage, "m.py", "def oldalpha(): pass", "def oldbeta(): pass",
                   "def oldgamma(): pass")
    new = await put_file(storage, "m.py", "def fresh(): pass")

    assert await storage.get_chunks(WS, "m.py") == new
    assert await storage.search_lexical(WS, "oldalpha oldbeta oldgamma", 10) == []
    assert (await storage.stats(WS)).chunks == 1


async def test_replace_file_rejects_chunks_of_another_file_and_stores_nothing(storage):
    stray = make_chunk("other.py", 1, "x = 1")
    with pytest.raises(InvalidArgument, match="other.py"):
        await storage.replace_file(WS, make_file("a.py", [stray]), [stray])
    bad = make_chunk("a.py", 1, "x = 1", embedding=(float("nan"), 1.0))
    with pytest.raises(InvalidArgument, match="finite"):
        await storage.replace_file(WS, make_file("a.py", [bad]), [bad])
    assert await storage.get_file(WS, "a.py") is None


async def test_delete_files_removes_records_and_chunks(storage):
    for name in ("a", "b", "c"):
        await put_file(storage, f"{name}.py", f"def only{name}(): pass")

    assert await storage.delete_files(WS, ["a.py", "c.py", "missing.py"]) == 2
    assert [f.path for f in await storage.list_files(WS)] == ["b.py"]
    assert await storage.get_chunks(WS, "a.py") == []
    assert await storage.search_lexical(WS, "onlya onlyc", 10) == []
    assert await storage.delete_files(WS, []) == 0
    assert await storage.delete_files(OTHER_WS, ["b.py"]) == 0
    assert (await storage.stats(WS)).files == 1


async def test_list_files_is_sorted_by_path(storage):
    paths = ["b.py", "a/z.py", "B.md", "a_b.py", "a.py", "a/b/c.py", "é.txt", "Z/x.py"]
    for path in paths:
        await put_file(storage, path, "x = 1")
    await put_file(storage, "elsewhere.py", "x = 1", workspace=OTHER_WS)
    assert [f.path for f in await storage.list_files(WS)] == sorted(paths)
    assert await storage.list_files("empty") == []


async def test_get_files_returns_the_indexed_ones_by_path(storage):
    for path in ("a.py", "b/c.py", "d.md"):
        await put_file(storage, path, "x = 1")
    await put_file(storage, "a.py", "x = 1", workspace=OTHER_WS)
    found = await storage.get_files(WS, ["b/c.py", "a.py", "missing.py", "a.py"])
    assert sorted(found) == ["a.py", "b/c.py"]
    assert found["a.py"] == await storage.get_file(WS, "a.py")
    assert await storage.get_files(WS, []) == {}
    assert await storage.get_files("empty", ["a.py"]) == {}


async def test_iter_chunks_walks_the_workspace_in_order_without_embeddings(storage):
    expected = []
    for path in ("b.py", "a/z.py", "a.py", "é.md"):
        chunks = [make_chunk(path, 1 + 10 * i, f"x{i} = {i}", embedding=(1.0, float(i)))
                  for i in range(3)]
        await storage.replace_file(WS, make_file(path, chunks), chunks)
        expected += [dataclasses.replace(c, embedding=None) for c in chunks]
    await put_file(storage, "other.py", "y = 1", workspace=OTHER_WS)
    expected.sort(key=lambda c: (c.path.encode(), c.start_line))
    for size in (1, 4, 5, 1000):
        batches = [batch async for batch in storage.iter_chunks(WS, batch_size=size)]
        assert all(0 < len(batch) <= size for batch in batches)
        assert [c for batch in batches for c in batch] == expected, size
    assert [batch async for batch in storage.iter_chunks("empty")] == []


async def test_replace_file_is_atomic_for_concurrent_readers(storage):
    """A reader sees one whole version of a file, never a mix and never a record alone.

    The two versions differ in chunk count, marker word and size. Each check below is one
    storage call (one snapshot), so a mix would show as chunks of two versions, a count that
    fits neither version, or counts of files and chunks that belong to different versions.
    """
    path = "atomic.py"
    versions = {}
    for marker, count, size in (("markera", 3, 111), ("markerb", 5, 222)):
        chunks = [make_chunk(path, 1 + 10 * i, f"def f{i}(): return '{marker} {i}'")
                  for i in range(count)]
        versions[marker] = (make_file(path, chunks, size=size), chunks)
    shapes = {(1, 3, 111), (1, 5, 222)}  # (files, chunks, total bytes) of each version
    records = [record for record, _ in versions.values()]
    await storage.replace_file(WS, *versions["markera"])

    writing = True
    reads = 0
    enough_reads = 10

    async def writer() -> None:
        """Writes at least 40 versions, and on until the readers have read often enough (a
        loaded machine may give them few turns), within a deadline."""
        nonlocal writing
        give_up = time.monotonic() + 60
        round_ = 0
        try:
            while (round_ < 40 or reads < enough_reads) and time.monotonic() < give_up:
                await storage.replace_file(WS, *versions["markerb" if round_ % 2 == 0
                                                          else "markera"])
                round_ += 1
                await asyncio.sleep(0)
        finally:
            writing = False

    def one_version(chunks: list[Chunk]) -> list[Chunk]:
        assert chunks, "the file has no chunks"
        markers = {c.text.split("'")[1].split()[0] for c in chunks}
        assert len(markers) == 1, f"mixed versions: {markers}"
        return versions[markers.pop()][1]

    async def reader() -> None:
        nonlocal reads
        while writing:
            chunks = await storage.get_chunks(WS, path)
            assert chunks == one_version(chunks)

            stats = await storage.stats(WS)
            assert (stats.files, stats.chunks, stats.total_bytes) in shapes

            hits = [h.chunk for h in await storage.search_lexical(WS, "markera markerb", 50)]
            assert sorted(hits, key=lambda c: c.start_line) == one_version(hits)

            record = await storage.get_file(WS, path)
            assert dataclasses.replace(record, indexed_at=None) in records
            reads += 1
            await asyncio.sleep(0)

    await asyncio.gather(writer(), reader(), reader())
    assert reads >= enough_reads  # the readers really ran while the writer did


# --- search -----------------------------------------------------------------------------

async def test_lexical_search_finds_identifiers_by_their_parts(storage):
    replacer = (await put_file(storage, "services/storage/port.py",
                               "async def replaceFile(self, file, chunks): ..."))[0]
    getter = (await put_file(storage, "services/storage/memory.py",
                             "def get_chunks(workspace_id, path):\n    return []"))[0]
    prose = (await put_file(storage, "docs/notes.md", "A file is a file is a file.",
                            language="markdown", kind="section"))[0]

    assert ids(await storage.search_lexical(WS, "replace", 10)) == [replacer.id]
    assert set(ids(await storage.search_lexical(WS, "chunks", 10))) == {replacer.id, getter.id}
    assert ids(await storage.search_lexical(WS, "getChunks", 10))[0] == getter.id
    assert ids(await storage.search_lexical(WS, "get_chunks", 10))[0] == getter.id
    # The whole identifier outranks a chunk that only repeats one of its parts.
    whole = await storage.search_lexical(WS, "replaceFile", 10)
    assert ids(whole)[0] == replacer.id and prose.id in ids(whole)
    # Path parts are searchable too.
    assert set(ids(await storage.search_lexical(WS, "storage", 10))) == {replacer.id,
                                                                          getter.id}

    hits = await storage.search_lexical(WS, "file chunks notes", 2)
    assert len(hits) == 2
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:], strict=False))
    assert await storage.search_lexical(WS, "  -- ?? ", 10) == []
    assert await storage.search_lexical(WS, "nothinglikethis", 10) == []
    assert await storage.search_lexical(OTHER_WS, "replace", 10) == []


async def test_lexical_search_applies_every_filter(storage):
    found = {}
    for key, path, language, kind in (("core", "services/a/core.py", "python", "function"),
                                      ("guide", "docs/guide.md", "markdown", "section"),
                                      ("deep", "docs/deep/more.md", "markdown", "section"),
                                      ("test", "tests/test_core.py", "python", "class")):
        found[key] = (await put_file(storage, path, f"the widget {key}", language=language,
                                     kind=kind))[0].id

    cases = {
        SearchFilters(path_glob="*.md"): {"guide", "deep"},
        SearchFilters(path_glob="docs/*.md"): {"guide"},
        SearchFilters(path_glob="docs/**/*.md"): {"guide", "deep"},
        SearchFilters(path_glob="services/**"): {"core"},
        SearchFilters(path_glob="*/test_?ore.py"): {"test"},
        SearchFilters(path_glob="[!d]*/*.py"): {"test"},
        SearchFilters(languages=("python",)): {"core", "test"},
        SearchFilters(kinds=("class",)): {"test"},
        SearchFilters(path_glob="docs/deep/", languages=("markdown",),
                      kinds=("section",)): {"deep"},
        SearchFilters(languages=("rust",)): set(),
        SearchFilters(languages=("rust", "markdown")): {"guide", "deep"},
        SearchFilters(kinds=("class", "function")): {"core", "test"},
        SearchFilters(languages=("python",), kinds=("section", "class")): {"test"},
    }
    for filters, expected in cases.items():
        hits = await storage.search_lexical(WS, "widget", 10, filters)
        assert set(ids(hits)) == {found[k] for k in expected}, filters


async def test_semantic_search_ranks_nearest_first_within_one_dimension(storage):
    near, middle, far = (make_chunk("v.py", line, f"def v{line}(): pass", embedding=vector)
                         for line, vector in ((1, (1.0, 0.0, 0.0)), (10, (0.8, 0.6, 0.0)),
                                              (20, (0.0, 0.0, 1.0))))
    plain = make_chunk("v.py", 30, "def plain(): pass")
    flat = make_chunk("v.py", 40, "def flat(): pass", kind="class", embedding=(1.0, 0.0))
    chunks = [far, plain, near, flat, middle]
    await storage.replace_file(WS, make_file("v.py", chunks), chunks)

    hits = await storage.search_semantic(WS, [2.0, 0.0, 0.0], 10)
    assert ids(hits) == [near.id, middle.id, far.id]
    assert [h.score for h in hits] == pytest.approx([1.0, 0.8, 0.0], abs=1e-6)
    assert ids(await storage.search_semantic(WS, [0.8, 0.6, 0.0], 1)) == [middle.id]
    assert ids(await storage.search_semantic(WS, [1.0, 0.0], 10)) == [flat.id]
    assert await storage.search_semantic(WS, [1.0, 0.0, 0.0, 0.0], 10) == []
    assert await storage.search_semantic(WS, [1.0, 0.0], 10,
                                         SearchFilters(kinds=("function",))) == []
    assert await storage.search_semantic(OTHER_WS, [1.0, 0.0, 0.0], 10) == []


async def test_semantic_search_applies_filters_before_the_limit(storage):
    # Most chunks are nearer than the one that passes the filter; it must still come back.
    chunks = [make_chunk("many.py", 1 + i, f"def n{i}(): pass", embedding=(1.0, i / 1000))
              for i in range(60)]
    wanted = make_chunk("docs/far.md", 1, "far away", language="markdown", kind="section",
                        embedding=(0.0, 1.0))
    await storage.replace_file(WS, make_file("many.py", chunks), chunks)
    await storage.replace_file(WS, make_file("docs/far.md", [wanted]), [wanted])

    hits = await storage.search_semantic(WS, [1.0, 0.0], 3, SearchFilters(path_glob="*.md"))
    assert ids(hits) == [wanted.id]


# --- stats and caches -------------------------------------------------------------------

async def test_stats_count_one_workspace(storage):
    assert await storage.stats(WS) == StorageStats(0, 0, 0, 0, 0, {})
    await put_file(storage, "a.py", "x = 1", "y = 2", description="sets x")
    await put_file(storage, "b.py", "z = 3", embedding=(1.0, 2.0))
    await put_file(storage, "c.md", "# Title", language="markdown", kind="section",
                   purpose="explains")
    await put_file(storage, "o.py", "q = 1", workspace=OTHER_WS)

    stats = await storage.stats(WS)
    files = await storage.list_files(WS)
    assert (stats.files, stats.chunks, stats.enriched_chunks, stats.embedded_chunks) == (
        3, 4, 3, 1)
    assert stats.total_bytes == sum(f.size_bytes for f in files) > 0
    # Plain ints on every backend (a driver's Decimal would break the protobuf conversion).
    assert all(type(v) is int for v in (stats.files, stats.chunks, stats.total_bytes))
    assert stats.languages == {"python": 2, "markdown": 1}
    empty = await storage.stats("empty")
    assert (empty.files, empty.chunks, empty.total_bytes, empty.languages) == (0, 0, 0, {})


async def test_enrichment_cache_is_keyed_by_hash_and_model(storage):
    first, second, third = (Enrichment(f"does {n}", f"for {n}") for n in ("one", "two", "3"))
    await storage.put_enrichments("m1", {"h1": first, "h2": second})
    await storage.put_enrichments("m2", {"h1": third})

    assert await storage.get_enrichments("m1", ["h1", "h2", "h3"]) == {"h1": first, "h2": second}
    assert await storage.get_enrichments("m2", ["h1", "h2"]) == {"h1": third}
    await storage.put_enrichments("m1", {"h1": third})
    assert await storage.get_enrichments("m1", ["h1"]) == {"h1": third}
    assert await storage.get_enrichments("m1", []) == {}


async def test_embedding_cache_is_keyed_by_hash_and_model(storage):
    await storage.put_embeddings("m1", {"h1": [0.1, 0.2, 0.3], "h2": (1.0, -1.0)})
    await storage.put_embeddings("m2", {"h1": [0.5] * 4})

    assert await storage.get_embeddings("m1", ["h1", "h2", "h3"]) == {
        "h1": float32((0.1, 0.2, 0.3)), "h2": (1.0, -1.0)}
    assert await storage.get_embeddings("m2", ["h1", "h2"]) == {"h1": (0.5,) * 4}
    await storage.put_embeddings("m1", {"h1": [9.0]})
    assert await storage.get_embeddings("m1", ["h1"]) == {"h1": (9.0,)}
    with pytest.raises(InvalidArgument):
        await storage.put_embeddings("m1", {"h9": []})


# --- ingest jobs ------------------------------------------------------------------------

def make_job(job_id: str, *, workspace: str = WS, request_id: str = "",
             created_at: datetime | None = None) -> IngestJob:
    return IngestJob(id=job_id, workspace_id=workspace, full=True, state=JobState.QUEUED,
                     request_id=request_id, created_at=created_at)


async def test_jobs_are_saved_updated_and_read_back(storage):
    await storage.save_job(make_job("j1"))
    saved = await storage.get_job("j1")
    assert saved.created_at is not None and saved.state is JobState.QUEUED

    saved.state = JobState.SUCCEEDED
    saved.finished_at = saved.created_at + timedelta(seconds=5)
    saved.counts = {"scanned": 10, "persisted": 8}
    saved.skipped = [("big.bin", "binary file"), ("huge.txt", "over 10 MB")]
    saved.message = "done"
    await storage.save_job(saved)
    assert await storage.get_job("j1") == saved

    # An update that leaves created_at unset keeps the stored one.
    await storage.save_job(dataclasses.replace(saved, created_at=None, message="again"))
    again = await storage.get_job("j1")
    assert (again.created_at, again.message) == (saved.created_at, "again")
    assert await storage.get_job("missing") is None


async def test_jobs_are_found_by_request_id_which_is_unique_per_workspace(storage):
    await storage.save_job(make_job("j1", request_id="req-1"))
    await storage.save_job(make_job("j2", request_id="req-1", workspace=OTHER_WS))
    await storage.save_job(make_job("j3"))
    await storage.save_job(make_job("j4"))  # many jobs may have no request id

    assert (await storage.find_job_by_request_id(WS, "req-1")).id == "j1"
    assert (await storage.find_job_by_request_id(OTHER_WS, "req-1")).id == "j2"
    assert await storage.find_job_by_request_id(WS, "req-2") is None
    assert await storage.find_job_by_request_id(WS, "") is None
    with pytest.raises(AlreadyExists, match="j1"):
        await storage.save_job(make_job("j5", request_id="req-1"))
    assert await storage.get_job("j5") is None
    await storage.save_job(make_job("j1", request_id="req-1"))  # the same job may be re-saved


async def test_jobs_list_newest_first_in_pages(storage):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        await storage.save_job(make_job(f"j{i}", created_at=base + timedelta(minutes=i)))
    tie = base + timedelta(minutes=9)  # equal times: the larger id counts as newer
    await storage.save_job(make_job("k-a", created_at=tie))
    await storage.save_job(make_job("k-b", created_at=tie))
    await storage.save_job(make_job("x", workspace=OTHER_WS, created_at=tie))

    pages, after = [], ""
    while page := await storage.list_jobs(WS, 2, after):
        pages.append([j.id for j in page])
        after = page[-1].id
    assert pages == [["k-b", "k-a"], ["j4", "j3"], ["j2", "j1"], ["j0"]]
    assert [j.id for j in await storage.list_jobs(OTHER_WS, 10)] == ["x"]
    with pytest.raises(InvalidArgument):
        await storage.list_jobs(WS, 2, "x")  # a job of another workspace is no cursor here


async def test_claim_job_allows_one_live_job_per_workspace(storage):
    hour = timedelta(hours=1)
    first, created = await storage.claim_job(make_running("r1"), hour)
    assert created and first.id == "r1" and first.heartbeat_at is not None
    live, created = await storage.claim_job(make_running("r2"), hour)
    assert not created and live.id == "r1"
    assert await storage.get_job("r2") is None
    _, created = await storage.claim_job(make_running("o1", workspace=OTHER_WS), hour)
    assert created  # another workspace is not blocked

    # A heartbeat older than stale_after means the runner died: the new job takes over.
    taken, created = await storage.claim_job(make_running("r3"), timedelta(0))
    assert created and taken.id == "r3"
    dead = await storage.get_job("r1")
    assert dead.state is JobState.FAILED and "interrupted" in dead.message
    assert dead.finished_at is not None


async def test_a_finished_job_does_not_block_a_claim(storage):
    done = make_running("d1")
    await storage.claim_job(done, timedelta(hours=1))
    done.state = JobState.SUCCEEDED
    await storage.save_job(done)
    _, created = await storage.claim_job(make_running("d2"), timedelta(hours=1))
    assert created


async def test_cancel_requests_stick_until_the_job_finishes(storage):
    job = make_running("c1")
    await storage.claim_job(job, timedelta(hours=1))
    await storage.request_cancel("c1")
    await storage.save_job(job)  # the runner's next snapshot must not clear the flag
    assert (await storage.get_job("c1")).cancel_requested
    job.state = JobState.CANCELLED
    await storage.save_job(job)
    await storage.request_cancel("missing")  # no error for an unknown job
    finished = make_running("c2")
    finished.state = JobState.SUCCEEDED
    await storage.save_job(finished)
    await storage.request_cancel("c2")
    assert not (await storage.get_job("c2")).cancel_requested


def make_running(job_id: str, *, workspace: str = WS) -> IngestJob:
    return IngestJob(id=job_id, workspace_id=workspace, full=False, state=JobState.RUNNING,
                     created_at=datetime.now(UTC))


# --- the LLM lease ----------------------------------------------------------------------

async def test_lease_contention_renew_and_release_only_by_the_live_lease(storage):
    assert await storage.current_lease() is None
    lease, taken = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert taken and (lease.holder, lease.lease_id) == ("agent-a", "L1")
    assert lease.fencing_token > 0
    assert abs(lease.expires_at - (datetime.now(UTC) + timedelta(seconds=30))) < timedelta(
        seconds=5)

    other, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert not taken and (other.lease_id, other.fencing_token) == ("L1", lease.fencing_token)
    retry, taken = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert taken and retry.fencing_token == lease.fencing_token

    assert await storage.renew_lease("L2", timedelta(seconds=60)) is None
    renewed = await storage.renew_lease("L1", timedelta(seconds=60))
    assert renewed.fencing_token == lease.fencing_token
    assert renewed.expires_at > lease.expires_at + timedelta(seconds=20)

    assert not await storage.release_lease("L2")
    assert (await storage.current_lease()).lease_id == "L1"
    assert await storage.release_lease("L1")
    assert await storage.current_lease() is None
    assert not await storage.release_lease("L1")
    assert await storage.renew_lease("L1", timedelta(seconds=60)) is None

    after, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert taken and after.fencing_token > lease.fencing_token


async def test_lease_arguments_are_checked(storage):
    with pytest.raises(InvalidArgument):
        await storage.acquire_lease("a", timedelta(0), "L1")
    with pytest.raises(InvalidArgument):
        await storage.acquire_lease("a", timedelta(seconds=5), "")
    assert await storage.current_lease() is None


async def test_expired_lease_is_taken_over_with_a_bigger_token(storage, backend):
    first, _ = await storage.acquire_lease("agent-a", timedelta(seconds=1), "L1")
    await backend.pass_time(1.2)

    assert await storage.current_lease() is None
    assert await storage.renew_lease("L1", timedelta(seconds=30)) is None
    assert not await storage.release_lease("L1")
    second, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert taken and second.fencing_token > first.fencing_token
    assert (await storage.current_lease()).holder == "agent-b"


async def test_one_winner_among_concurrent_acquirers_on_separate_connections(storage, backend):
    second = backend.new()
    await second.open()
    try:
        results = await asyncio.gather(*(
            store.acquire_lease(f"agent-{i}", timedelta(seconds=30), f"L{i}")
            for i, store in enumerate([storage, second] * 5)))
    finally:
        if second is not storage:
            await second.close()
    winners = [lease for lease, taken in results if taken]
    assert len(winners) == 1
    assert {lease.lease_id for lease, _ in results} == {winners[0].lease_id}


async def test_fencing_tokens_grow_across_reopen(storage, backend):
    first, _ = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert await storage.release_lease("L1")
    await storage.close()

    reopened = backend.new()
    await reopened.open()
    try:
        second, taken = await reopened.acquire_lease("agent-a", timedelta(seconds=30), "L2")
    finally:
        await reopened.close()
    assert taken and second.fencing_token > first.fencing_token


async def test_last_lease_remembers_a_released_or_expired_lease(storage, backend):
    assert await storage.last_lease() is None
    lease, _ = await storage.acquire_lease("agent", timedelta(seconds=30), "L1")
    assert (await storage.last_lease()).lease_id == "L1"
    assert await storage.release_lease("L1")
    last = await storage.last_lease()
    assert (last.lease_id, last.holder, last.fencing_token) == ("L1", "agent",
                                                                lease.fencing_token)
    assert last.expires_at < datetime.now(UTC)
    assert await storage.current_lease() is None
    assert not await storage.release_lease("L1")  # not live any more


async def test_lease_changes_wake_a_listener_on_every_change(storage):
    changes = storage.lease_changes()
    woken = asyncio.Event()

    async def listen() -> None:
        async for _ in changes:
            woken.set()

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.3)  # let the listener subscribe (PostgreSQL: LISTEN)
        for change in (lambda: storage.acquire_lease("a", timedelta(seconds=30), "L1"),
                       lambda: storage.renew_lease("L1", timedelta(seconds=30)),
                       lambda: storage.release_lease("L1")):
            woken.clear()
            await change()
            await asyncio.wait_for(woken.wait(), timeout=5)
        woken.clear()
        await storage.current_lease()  # reading changes nothing and wakes nobody
        await asyncio.sleep(0.3)
        assert not woken.is_set()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
