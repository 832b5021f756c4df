"""Upkeep of the BM25 term statistics (migration 005) in the transaction that writes chunks.

A chunk's postings come from its stored lexical document (space-joined tokens, the same the
memory backend indexes), so removing a chunk needs only its row. The work is done by the
database function knowport_update_terms (migration 010), in one round trip: document
frequencies and the workspace's totals change by one net delta per write, terms in sorted
order and the totals row last, so two writers of one workspace wait for each other but never
deadlock; writers of different workspaces touch different rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

Document = tuple[str, str]  # (chunk id, lexical document)


async def update(conn: asyncpg.Connection, workspace_id: str, removed: Sequence[Document],
                 added: Sequence[Document]) -> int:
    """Replace the postings of `removed` chunks by those of `added` ones and adjust the
    statistics; runs inside the caller's transaction. Returns the postings written."""
    if not removed and not added:
        return 0
    return await conn.fetchval(
        "SELECT knowport_update_terms($1, $2::text[], $3::text[], $4::text[], $5::text[])",
        workspace_id, [r[0] for r in removed], [r[1] for r in removed],
        [a[0] for a in added], [a[1] for a in added])


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
