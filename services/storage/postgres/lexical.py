"""Lexical search in PostgreSQL: Okapi BM25, the same ranking the memory backend computes
(services/storage/bm25.py), over the postings and statistics of migration 005 (terms.py).

Same terms (search_terms of the query: every distinct token of every form), same k1 and b,
same idf (Lucene's non-negative ln(1 + (N - df + 0.5) / (df + 0.5))), same document lengths
(tokens of the lexical document), same average length; a chunk matches when it holds any
query term. Scores are rounded to single precision, as memory keeps them, so that the same
ties break the same way (path, start line, id).

Common terms ("return", "self": in more than COMMON_SHARE of the chunks) hold most of the
postings but add little to a score. As in memory, the search first scores only the chunks
that hold a rarer term (by every term); when the last of the best few already scores more
than any chunk could from the common terms alone, that is the answer, else it scores every
chunk that holds any term. The bound here is idf * (k1 + 1) per common term (BM25's limit as
tf grows), looser than memory's exact maximum, so the exact fallback runs a little more often;
the answer is the same either way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from services.domain.models import SearchFilters
from services.storage.bm25 import COMMON_SHARE
from services.storage.postgres import rows

# Every pass reads postings by (workspace, term) or (workspace, term, chunk) through the
# primary key. A table fresh from a bulk ingest, not yet analysed by autovacuum, otherwise
# gets plans that scan all of chunk_terms (seconds instead of milliseconds).
PLAN_SETTINGS = "SET LOCAL enable_seqscan = off"

# A pruned pass looks each candidate's terms up one by one; reading postings in a run costs
# about this many times less each, so a pass with more look-ups than that reads them all.
PROBE_COST = 4

K1 = 1.2  # services/storage/bm25.py Bm25Index's defaults (tests check they agree)
B = 0.75


@dataclass(frozen=True)
class Statistics:
    chunks: int  # N
    average_length: float
    df: Mapping[str, int]  # the query's terms that some chunk holds

    def idf(self, term: str) -> float:
        df = self.df[term]
        return math.log(1.0 + (self.chunks - df + 0.5) / (df + 0.5))


async def statistics(conn: asyncpg.Connection, workspace_id: str,
                     terms: Sequence[str]) -> Statistics:
    """N, the average length and the query terms' document frequencies, in one statement."""
    row = await conn.fetchrow(
        "SELECT t.chunks, t.length, "
        "array(SELECT term FROM term_stats s WHERE s.workspace_id = $1 "
        "      AND s.term = ANY($2::text[]) AND s.df > 0 ORDER BY term) AS terms, "
        "array(SELECT df FROM term_stats s WHERE s.workspace_id = $1 "
        "      AND s.term = ANY($2::text[]) AND s.df > 0 ORDER BY term) AS dfs "
        "FROM (SELECT 1) one LEFT JOIN lexical_totals t ON t.workspace_id = $1",
        workspace_id, list(terms))
    chunks = row["chunks"] or 0
    average = (row["length"] or 0) / chunks if chunks else 0.0
    return Statistics(chunks, average or 1.0, dict(zip(row["terms"], row["dfs"], strict=True)))


def plans(stats: Statistics, limit: int) -> list[tuple[list[str], float]]:
    """(candidate terms, bound) for each pass to try in order: a pass's answer stands when it
    fills `limit` and its last score beats the bound; the last pass (every term, bound -inf)
    always stands."""
    common_df = COMMON_SHARE * stats.chunks
    rare = [t for t in stats.df if stats.df[t] <= common_df]
    common = [t for t in stats.df if stats.df[t] > common_df]
    full = (list(stats.df), -math.inf)
    probes = sum(stats.df[t] for t in rare) * len(stats.df)  # index look-ups of a pruned pass
    if not rare or not common or probes * PROBE_COST > sum(stats.df.values()):
        return [full]
    return [(rare, sum(stats.idf(t) * (K1 + 1.0) for t in common)), full]


def ranked_sql(workspace_id: str, stats: Statistics, candidates: list[str], limit: int,
               filters: SearchFilters) -> tuple:
    """(sql, *args): the best `limit` chunks by BM25 among those holding a `candidates` term.

    Hits come without their embeddings: nothing that ranks or shows a hit reads them, and
    decoding hundreds of floats per row cost a hybrid search (50 hits of each ranking) about
    a third of its time in storage.
    """
    terms = list(stats.df)
    args: list = [workspace_id, terms, [stats.idf(t) for t in terms], limit,
                  K1, B, stats.average_length]
    # float8 throughout: untyped, the parameters would be numeric, several times slower.
    score = ("sum({idf} * p.tf * ($5::float8 + 1.0) / (p.tf + $5::float8 * "
             "(1.0 - $6::float8 + $6::float8 * p.length / $7::float8)))::real")
    if len(candidates) == len(terms):
        scored = (f"SELECT p.chunk_id, {score.format(idf='q.idf')} AS score "
                  "FROM unnest($2::text[], $3::float8[]) AS q(term, idf) "
                  "JOIN chunk_terms p ON p.workspace_id = $1 AND p.term = q.term "
                  "GROUP BY p.chunk_id")
    else:
        # Each candidate's postings of the query's terms, looked up by primary key (a
        # lateral join: no plan may read the common terms' postings whole).
        args.append(candidates)
        idf = "($3::float8[])[array_position($2::text[], p.term)]"
        scored = ("SELECT c.chunk_id, s.score FROM (SELECT DISTINCT chunk_id FROM chunk_terms "
                  f"WHERE workspace_id = $1 AND term = ANY(${len(args)}::text[])) c "
                  f"CROSS JOIN LATERAL (SELECT {score.format(idf=idf)} AS score "
                  "FROM chunk_terms p WHERE p.workspace_id = $1 AND p.term = ANY($2::text[]) "
                  "AND p.chunk_id = c.chunk_id) s")
    conditions = rows.filter_sql(filters, args)
    if not conditions:  # cut before reading chunks (ties at the cut come along)
        scored += " ORDER BY score DESC FETCH FIRST $4 ROWS WITH TIES"
    sql = (f"WITH scored AS ({scored}) "
           f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING}, s.score FROM scored s "
           f"JOIN chunks ON chunks.workspace_id = $1 AND chunks.id = s.chunk_id{conditions} "
           'ORDER BY s.score DESC, path COLLATE "C", start_line, id COLLATE "C" LIMIT $4')
    return (sql, *args)
