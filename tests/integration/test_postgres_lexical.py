"""PostgreSQL lexical search answers as the memory backend does, also once PostgreSQL's
statistics call the query's words common (as autovacuum's ANALYZE does on a real index)."""

from __future__ import annotations

import asyncpg
import pytest

from services.domain.models import Chunk, FileRecord
from services.storage.memory import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage

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
        await conn.execute("ANALYZE chunks")  # what autovacuum does once the table has grown
        common = await conn.fetchval(
            "SELECT most_common_elems::text::text[] FROM pg_stats "
            "WHERE tablename = 'chunks' AND attname = 'tsv'")
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
