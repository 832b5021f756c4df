"""Upkeep of the BM25 term statistics (migration 005) in the transaction that writes chunks.

A chunk's postings come from its stored lexical document (space-joined tokens, the same the
memory backend indexes), so removing a chunk needs only its row. Document frequencies and the
workspace's totals change by one net delta per write: terms are updated in sorted order, and
the totals row last, so two writers of one workspace wait for each other but never deadlock;
writers of different workspaces touch different rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import asyncpg

POSTING_COLUMNS = ("workspace_id", "term", "chunk_id", "tf", "length")

Document = tuple[str, str]  # (chunk id, lexical document)


def postings(workspace_id: str, documents: Iterable[Document]) -> list[tuple]:
    """chunk_terms rows of the documents: (workspace, term, chunk, tf, length)."""
    found = []
    for chunk_id, document in documents:
        tokens = document.split()
        found += [(workspace_id, term, chunk_id, tf, len(tokens))
                  for term, tf in Counter(tokens).items()]
    return found


async def update(conn: asyncpg.Connection, workspace_id: str, removed: list[Document],
                 added: list[Document]) -> int:
    """Replace the postings of `removed` chunks by those of `added` ones and adjust the
    statistics; runs inside the caller's transaction. Returns the postings written."""
    gone, new = postings(workspace_id, removed), postings(workspace_id, added)
    if gone:
        await conn.execute(
            "DELETE FROM chunk_terms p USING unnest($2::text[], $3::text[]) AS x(term, chunk_id) "
            "WHERE p.workspace_id = $1 AND p.term = x.term AND p.chunk_id = x.chunk_id",
            workspace_id, [p[1] for p in gone], [p[2] for p in gone])
    if new:
        await conn.copy_records_to_table("chunk_terms", records=new, columns=POSTING_COLUMNS)
    df = Counter(p[1] for p in new)
    df.subtract(p[1] for p in gone)
    changed = sorted(term for term, delta in df.items() if delta)
    if changed:
        await conn.execute(
            "INSERT INTO term_stats (workspace_id, term, df) "
            "SELECT $1, term, delta FROM unnest($2::text[], $3::integer[]) AS x(term, delta) "
            "ORDER BY term ON CONFLICT (workspace_id, term) "
            "DO UPDATE SET df = term_stats.df + excluded.df",
            workspace_id, changed, [df[t] for t in changed])
        fewer = [term for term in changed if df[term] < 0]
        if fewer:
            await conn.execute("DELETE FROM term_stats WHERE workspace_id = $1 "
                               "AND term = ANY($2::text[]) AND df <= 0", workspace_id, fewer)
    chunks = len(added) - len(removed)
    length = _length(added) - _length(removed)
    if chunks or length:
        await conn.execute(
            "INSERT INTO lexical_totals (workspace_id, chunks, length) VALUES ($1, $2, $3) "
            "ON CONFLICT (workspace_id) DO UPDATE SET "
            "chunks = lexical_totals.chunks + excluded.chunks, "
            "length = lexical_totals.length + excluded.length",
            workspace_id, chunks, length)
    return len(gone) + len(new)


class PlannerStatistics:
    """ANALYZE of the postings as this process writes them, so that search's plans read each
    term's best postings through chunk_terms_impact from the first searches of a new index on.

    Without statistics PostgreSQL guesses a couple of postings per term, and reads all of a
    common term's postings to sort them (autovacuum analyses only about a minute later). The
    first ANALYZE comes after FIRST postings, each next one once the process has written as
    many again: a few per bulk ingest (~0.1 s each), none for small edits.
    """

    FIRST = 50_000

    def __init__(self) -> None:
        self._written = 0
        self._next = self.FIRST

    async def written(self, conn: asyncpg.Connection, postings: int) -> None:
        """Count `postings` written (committed) and analyse when due; outside transactions."""
        self._written += postings
        if self._written >= self._next:
            self._next = 2 * self._written
            await conn.execute("ANALYZE chunk_terms")


def _length(documents: list[Document]) -> int:
    return sum(len(document.split()) for _, document in documents)
