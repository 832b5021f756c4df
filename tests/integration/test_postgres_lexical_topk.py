"""PostgreSQL's lexical top-k (postgres/lexical.py): a pass that reads only each term's best
postings answers exactly what adding up every posting answers, and memory's ranking; and a
query of common words reads a small share of their postings."""

from __future__ import annotations

import random

import asyncpg
import pytest

from services.domain.models import Chunk, FileRecord, SearchFilters
from services.domain.terms import search_terms
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres import lexical
from services.storage.postgres.adapter import PostgresStorage

pytestmark = pytest.mark.postgres

WORKSPACE = "w"
COMMON = ["get", "value", "self", "return", "data"]  # in most chunks
MIDDLING = [f"mid{i}" for i in range(20)]  # in a few percent
RARE = [f"rare{i}" for i in range(200)]  # in one or two chunks
TF = [1] * 8 + [2] * 4 + [3] * 2 + [4]  # how often a chunk repeats a common word


def corpus(files: int, chunks_per_file: int, filler: int, seed: int) -> list[tuple]:
    """(file record, chunks): words drawn so that common words repeat with varied counts,
    lengths vary (BM25's length norm), and some chunks are copies (ties at the cut)."""
    rng = random.Random(seed)
    found = []
    for f in range(files):
        path = f"pkg{f % 3}/m{f}.py"
        texts = []
        for c in range(chunks_per_file):
            if texts and c % 17 == 0:
                texts.append(texts[-1])  # an identical chunk: an exact tie
                continue
            words = [w for w in COMMON if rng.random() < 0.6 for _ in range(rng.choice(TF))]
            words += [rng.choice(MIDDLING) for _ in range(rng.randint(0, 2))]
            words += [rng.choice(RARE)] if rng.random() < 0.2 else []
            words += [f"filler{rng.randint(0, 5000)}" for _ in range(rng.randint(0, filler))]
            rng.shuffle(words)
            texts.append(" ".join(words) or "empty")
        record = FileRecord(path=path, content_hash=path, size_bytes=1, mtime_ns=1,
                            language="python")
        found.append((record, [
            Chunk(id=f"{path}:{i}", path=path, start_line=i, end_line=i, symbol="", kind="lines",
                  language="python", text=text, content_hash=f"{path}:{i}")
            for i, text in enumerate(texts, start=1)]))
    return found


QUERIES = ["get", "get value", "self return data value get", "value mid3", "mid7", "rare5",
           "rare9 get", "mid1 mid2 self", "data rare17 mid4 value", "return nowhere",
           "filler17 self", "get get value"]


async def _stores(pg_dsn: str, files: list[tuple]) -> tuple[MemoryStorage, PostgresStorage]:
    memory, postgres = MemoryStorage(), PostgresStorage(pg_dsn)
    await postgres.open()
    for backend in (memory, postgres):
        for record, chunks in files:
            await backend.replace_file(WORKSPACE, record, chunks)
    return memory, postgres


@pytest.mark.parametrize("filler", [3, 150], ids=["short", "longer-than-reference"])
async def test_every_pass_that_settles_answers_what_adding_up_every_posting_answers(
        pg_dsn, filler):
    """Each pass that claims its hits are exact (lexical.settled) gives the exhaustive pass's
    hits and scores; the search gives memory's. Chunks longer than REFERENCE_LENGTH on
    average exercise the bound's allowance for it (up to 150 filler words, each "filler" and
    its number as well: ~2x the reference; without the allowance passes settle wrongly)."""
    memory, postgres = await _stores(pg_dsn, corpus(40, 30, filler, seed=filler))
    settled_early = 0
    conn = await asyncpg.connect(pg_dsn)
    try:
        for query in QUERIES:
            for limit, filters in ((10, SearchFilters()), (3, SearchFilters()),
                                   (10, SearchFilters(path_glob="pkg1/**"))):
                stats = await lexical.statistics(conn, WORKSPACE, search_terms(query))
                exact = await conn.fetch(*lexical.ranked_sql(WORKSPACE, stats, limit, filters,
                                                             None))
                expected = [(r["id"], r["score"]) for r in exact]
                for depth in lexical.depths(stats, limit)[:-1]:
                    found = await conn.fetch(*lexical.ranked_sql(WORKSPACE, stats, limit,
                                                                 filters, depth))
                    if lexical.settled(stats, found, limit):
                        settled_early += 1
                        assert [(r["id"], r["score"]) for r in found] == expected, \
                            (query, limit, filters, depth)
                hits = await postgres.search_lexical(WORKSPACE, query, limit, filters)
                mem = await memory.search_lexical(WORKSPACE, query, limit, filters)
                assert [h.chunk.id for h in hits] == [h.chunk.id for h in mem]
                assert [h.chunk.id for h in hits] == [i for i, _ in expected]
    finally:
        await conn.close()
        await postgres.close()
    assert settled_early >= len(QUERIES) // 2  # pruned passes answered, not only the last


async def test_the_stored_impact_is_the_one_the_bounds_assume(pg_dsn):
    """Migration 006 computes impacts in SQL; lexical.py's bounds assume its formula."""
    _, postgres = await _stores(pg_dsn, corpus(3, 10, 40, seed=1))
    await postgres.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        stored = await conn.fetch("SELECT tf, length, impact FROM chunk_terms")
    finally:
        await conn.close()
    assert len({(r["tf"], r["length"]) for r in stored}) > 20
    for row in stored:
        assert row["impact"] == pytest.approx(lexical.impact(row["tf"], row["length"]),
                                              rel=1e-6)


async def test_a_query_of_common_words_reads_a_small_share_of_their_postings(pg_dsn):
    """'get' and 'value' are each in over a third of 3,600 chunks, and a dozen chunks say them
    most: the search reads the best postings of each word and a few look-ups, not every
    posting (index entries read, as PostgreSQL counts them in the search's transaction)."""
    # Short filler: the share read is the same as with 60 words a chunk, at half the writes.
    files = corpus(120, 30, 20, seed=7)
    # As in real code, the best hits stand out: a few short chunks that say both words often.
    best = FileRecord(path="best.py", content_hash="best", size_bytes=1, mtime_ns=1,
                      language="python")
    files.append((best, [Chunk(id=f"best:{i}", path="best.py", start_line=i, end_line=i,
                               symbol="", kind="lines", language="python",
                               text="get value " * (8 + i % 4) + f"best{i}",
                               content_hash=f"best:{i}") for i in range(12)]))
    memory, postgres = await _stores(pg_dsn, files)
    await postgres.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        postings = await conn.fetchval("SELECT sum(df) FROM term_stats "
                                       "WHERE term IN ('get', 'value')")
        assert postings > 2000
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            found = await lexical.ranked(conn, WORKSPACE, ["get", "value"], 10,
                                         SearchFilters())
            read = await conn.fetchval(  # idx_tup_read of this transaction, every index
                "SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index "
                "WHERE indrelid = 'chunk_terms'::regclass")
    finally:
        await conn.close()
    expected = await memory.search_lexical(WORKSPACE, "get value", 10)
    assert [r["id"] for r in found] == [h.chunk.id for h in expected]
    assert read < postings / 4, (read, postings)
