"""The `Files` role: file records and their chunks."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.errors import InvalidArgument
from services.domain.models import (
    Chunk,
)
from tests.integration.storage_contract.builders import (
    OTHER_WS,
    WS,
    float32,
    make_chunk,
    make_file,
    put_file,
)


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
