"""Checks that PostgreSQL's BM25 statistics (migration 005) agree with what they summarise."""

from __future__ import annotations

import asyncpg


async def assert_statistics_match_postings(dsn: str, workspace_id: str) -> None:
    """term_stats holds each term's count of postings, lexical_totals the workspace's chunks
    and their tokens, and every chunk's postings add up to its document."""
    conn = await asyncpg.connect(dsn)
    try:
        drift = await conn.fetchval(
            "SELECT count(*) FROM (SELECT term, count(*) AS df FROM chunk_terms "
            "WHERE workspace_id = $1 GROUP BY term) p FULL JOIN "
            "(SELECT term, df FROM term_stats WHERE workspace_id = $1) s USING (term) "
            "WHERE p.df IS DISTINCT FROM s.df", workspace_id)
        totals = await conn.fetchrow("SELECT chunks, length FROM lexical_totals "
                                     "WHERE workspace_id = $1", workspace_id)
        counted = await conn.fetchrow(
            "SELECT count(*) AS chunks, coalesce(sum(cardinality(array_remove("
            "string_to_array(lexical, ' '), ''))), 0) AS length FROM chunks "
            "WHERE workspace_id = $1", workspace_id)
        postings = await conn.fetchrow(
            "SELECT count(DISTINCT chunk_id) AS chunks, coalesce(sum(tf), 0) AS length "
            "FROM chunk_terms WHERE workspace_id = $1", workspace_id)
    finally:
        await conn.close()
    assert drift == 0
    assert totals is not None
    assert (totals["chunks"], totals["length"]) == (counted["chunks"], counted["length"])
    assert postings["length"] == counted["length"]
