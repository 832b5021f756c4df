"""PostgreSQL lexical search answers as the memory backend does, also once PostgreSQL's
statistics call the query's words common (as autovacuum's ANALYZE does on a real index)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.domain.models import Chunk, FileRecord
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.bm25_statistics import assert_statistics_match_postings

pytestmark = pytest.mark.postgres


def _chunks(texts: list[str]) -> list[Chunk]:
    return [Chunk(id=f"c{i}", path="m.py", start_line=i, end_line=i, symbol="", kind="lines",
                  language="python", text=text, content_hash=f"h{i}")
            for i, text in enumerate(texts, start=1)]


_FILE = FileRecord(path="m.py", content_hash="h", size_bytes=1, mtime_ns=1, language="python")


@pytest.fixture
async def analyzed(pg_dsn):
    """A PostgreSQL storage whose 1,000 chunks each hold 'alpha' or 'beta' (never both), with
    fresh statistics that count both words as common; and a memory storage of the same."""
    texts = [("alpha" if i % 2 else "beta") + f" filler{i}" for i in range(1000)]
    store, memory = PostgresStorage(pg_dsn), MemoryStorage()
    await store.open()
    for backend in (store, memory):
        await backend.replace_file("w", _FILE, _chunks(texts))
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("ANALYZE")  # what autovacuum does once the tables have grown
        common = await conn.fetchval(
            "SELECT most_common_vals::text::text[] FROM pg_stats "
            "WHERE tablename = 'chunk_terms' AND attname = 'term'")
        assert {"alpha", "beta"} <= set(common)
    finally:
        await conn.close()
    yield store, memory
    await store.close()


@pytest.mark.parametrize("query", [
    "alpha beta",  # every word common, and no chunk holds them all
    "alpha nowhere",  # the one rare word is in no chunk
])
async def test_common_words_never_turn_a_query_into_no_hits(analyzed, query):
    store, memory = analyzed
    expected = await memory.search_lexical("w", query, 20)
    assert len(expected) == 20
    found = await store.search_lexical("w", query, 20)
    assert len(found) == 20
    words = set(query.split())
    assert all(words & set(hit.chunk.text.split()) for hit in found)


def _file(path: str, texts: list[str]) -> tuple[FileRecord, list[Chunk]]:
    record = FileRecord(path=path, content_hash=path, size_bytes=1, mtime_ns=1,
                        language="python")
    return record, [Chunk(id=f"{path}:{i}", path=path, start_line=i, end_line=i, symbol="",
                          kind="lines", language="python", text=text,
                          content_hash=f"{path}:{i}")
                    for i, text in enumerate(texts, start=1)]


async def test_concurrent_writes_of_one_and_of_two_workspaces_keep_statistics_exact(pg_dsn):
    """Many files of two workspaces written, rewritten and deleted at once, sharing their
    common terms: no deadlock, no lost update of a document frequency or a total."""
    store = PostgresStorage(pg_dsn, max_size=8)
    await store.open()
    try:
        def texts(n: int, round_: int) -> list[str]:
            return [f"shared common word{n % 5} round{round_} line{i}" for i in range(n % 7 + 1)]

        async def churn(workspace: str, n: int) -> None:
            path = f"f{n}.py"
            for round_ in range(3):
                await store.replace_file(workspace, *_file(path, texts(n, round_)))
            if n % 4 == 0:
                await store.delete_files(workspace, [path])

        await asyncio.gather(*(churn(w, n) for w in ("one", "two") for n in range(24)))
        for workspace in ("one", "two"):
            await assert_statistics_match_postings(pg_dsn, workspace)
            hits = await store.search_lexical(workspace, "shared", 200)
            assert len(hits) == sum(n % 7 + 1 for n in range(24) if n % 4)
    finally:
        await store.close()


async def test_chunks_indexed_before_the_bm25_migration_are_found_after_it(pg_dsn):
    """Migrations 005 and 006 build postings, impacts and statistics for chunks already
    stored."""
    texts = [f"alpha word{i % 13} common filler{i}" for i in range(300)]
    store, memory = PostgresStorage(pg_dsn), MemoryStorage()
    await store.open()
    for backend in (store, memory):
        await backend.replace_file("w", _FILE, _chunks(texts))
    await store.close()
    conn = await asyncpg.connect(pg_dsn)
    try:  # back to the schema before 005 (and 006), with the chunks in place
        await conn.execute("DROP TABLE chunk_terms, term_stats, lexical_totals; "
                           "ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                           "(to_tsvector('simple', lexical)) STORED; "
                           "DELETE FROM schema_migrations WHERE version IN (5, 6)")
    finally:
        await conn.close()
    store = PostgresStorage(pg_dsn)
    await store.open()
    try:
        await assert_statistics_match_postings(pg_dsn, "w")
        for query in ("word7 filler12", "alpha", "common word3"):
            expected = [(h.chunk.id, round(h.score, 4))
                        for h in await memory.search_lexical("w", query, 20)]
            found = [(h.chunk.id, round(h.score, 4))
                     for h in await store.search_lexical("w", query, 20)]
            assert found == expected
    finally:
        await store.close()


async def test_a_chunks_postings_are_keyed_together_and_leave_with_it(pg_dsn):
    """Migration 011: the postings' key is (workspace, chunk, term), so a write fills a leaf
    page or two of it per chunk instead of one page per term, and a rewrite finds a removed
    chunk's postings by its id; the statistics still match the postings."""
    store = PostgresStorage(pg_dsn)
    await store.open()
    try:
        await store.replace_file("w", _FILE, _chunks(["alpha beta", "beta gamma", "delta"]))
        await store.replace_file("w", _FILE, _chunks(["alpha beta", "epsilon"]))
    finally:
        await store.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        key = await conn.fetchval("SELECT pg_get_indexdef('chunk_terms_pkey'::regclass)")
        postings = await conn.fetch("SELECT chunk_id, term FROM chunk_terms "
                                    "ORDER BY chunk_id, term")
    finally:
        await conn.close()
    assert "(workspace_id, chunk_id, term) INCLUDE (tf, length)" in key
    assert {p["chunk_id"] for p in postings} == {"c1", "c2"}  # c3 left with its postings
    assert ("c2", "epsilon") in postings and ("c2", "gamma") not in postings
    await assert_statistics_match_postings(pg_dsn, "w")
