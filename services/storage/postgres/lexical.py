"""Lexical search in PostgreSQL: Okapi BM25, the same ranking the memory backend computes
(services/storage/memory/bm25.py), over the postings and statistics of migrations 005 and 006
(terms.py).

Same terms (search_terms of the query: every distinct token of every form), same k1 and b,
same idf (Lucene's non-negative ln(1 + (N - df + 0.5) / (df + 0.5))), same document lengths
(tokens of the lexical document), same average length; a chunk matches when it holds any
query term. Scores are rounded to single precision, as memory keeps them, so that the same
ties break the same way (path, start line, id).

Top-k without adding up every posting (Fagin's threshold algorithm, with its no-random-access
pruning): each posting carries an impact (migration 006), BM25's term-frequency part at a
fixed reference average length, and an index reads each term's postings best first. A pass
reads the best `depth` postings of every query term. A chunk it did not read is below the
`depth`-th posting of every term, so it scores at most `unread`: the sum over terms of
idf * (k1 + 1) * that posting's impact * max(1, average length / REFERENCE_LENGTH) (the last
factor covers the real average length). A chunk it read scores at least its `lower` sum over
the terms it was read for, and at most that plus the other terms' bounds. The pass scores
exactly the chunks with the best lower sums, then, only if the last of those beats `unread`,
every other chunk whose upper bound reaches it; its answer stands when its last hit beats
`unread` (no unread chunk can take its place or tie with it). Otherwise a deeper pass, and
at last one that adds up every posting. Rare terms have fewer postings than `depth` and are
read whole (they add nothing to `unread`), so a query with a rare word usually settles at
once; a query of common words ("get value") reads a few hundred postings of each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from services.domain import bm25
from services.domain.models import SearchFilters
from services.storage.postgres import rows

# The average document length, in tokens, that migration 006's impacts assume. With the
# real average A above it, a posting's BM25 term part is at most A / REFERENCE_LENGTH times
# its impact (at or below it, at most its impact), which the bounds allow for.
REFERENCE_LENGTH = 100.0

# Pass depths, in multiples of the hits asked for; then the exhaustive pass. Measured on
# 100,000 chunks of real code (bench/search.py's queries, 11 hits): 37% of searches stood
# after the first pass, 49% after the second, 14% needed the exhaustive one.
DEPTHS = (10, 100)
# Scores are single precision and summed in another order than memory's: a bound must beat
# the last hit by more than their rounding.
BOUND_MARGIN = 1.0 + 1e-5


@dataclass(frozen=True)
class Statistics:
    chunks: int  # N
    average_length: float
    df: Mapping[str, int]  # the query's terms that some chunk holds

    def idf(self, term: str) -> float:
        return bm25.idf(self.chunks, self.df[term])

    @property
    def drift(self) -> float:
        """How much more than its impact a posting's term part can be (REFERENCE_LENGTH)."""
        return max(1.0, self.average_length / REFERENCE_LENGTH)


def impact(tf: int, length: int) -> float:
    """Migration 006's impact of a posting, in double precision (the column rounds it)."""
    return tf / (tf + bm25.length_norm(length, REFERENCE_LENGTH))


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


async def ranked(conn: asyncpg.Connection, workspace_id: str, terms: Sequence[str],
                 limit: int, filters: SearchFilters) -> list[asyncpg.Record]:
    """The best `limit` chunks by BM25 (see the module doc), each row with its `score`; run
    inside one snapshot so statistics and postings agree."""
    stats = await statistics(conn, workspace_id, terms)
    if not stats.df:
        return []
    for depth in depths(stats, limit):
        found = await conn.fetch(*ranked_sql(workspace_id, stats, limit, filters, depth))
        if depth is None or settled(stats, found, limit):
            return found
    raise AssertionError("unreachable: the last depth is exhaustive")


def depths(stats: Statistics, limit: int) -> list[int | None]:
    """The passes to try in order: depths that leave some postings unread, then None (all)."""
    most = max(stats.df.values())
    return [limit * d for d in DEPTHS if limit * d < most] + [None]


def settled(stats: Statistics, found: list[asyncpg.Record], limit: int) -> bool:
    """Whether a pass's hits are the exact answer: every posting read, or the last hit beats
    what any chunk the pass did not score could score."""
    if not found:
        return False
    bound = found[0]["bound"]
    return bound == 0.0 or (len(found) == limit and found[-1]["score"] > bound)


def ranked_sql(workspace_id: str, stats: Statistics, limit: int, filters: SearchFilters,
               depth: int | None) -> tuple:
    """(sql, *args): the best `limit` chunks by BM25 among those a pass of `depth` scores
    (None: every chunk holding a query term), each with its score and the pass's `bound`
    on any chunk it did not score (0 when it read every posting).

    Hits come without their embeddings: nothing that ranks or shows a hit reads them, and
    decoding hundreds of floats per row cost a hybrid search (50 hits of each ranking) about
    a third of its time in storage.
    """
    terms = list(stats.df)
    args: list = [workspace_id, terms, [stats.idf(t) for t in terms], limit,
                  bm25.K1, bm25.B, stats.average_length]
    conditions = rows.filter_sql(filters, args)
    if depth is None:
        scored = (f"SELECT p.chunk_id, {_SCORE.format(idf='q.idf')}::real AS score "
                  "FROM unnest($2::text[], $3::float8[]) AS q(term, idf) "
                  # lateral: read by (workspace, term) through chunk_terms_impact, whatever
                  # the table's statistics (a table fresh from a bulk ingest has none yet)
                  "CROSS JOIN LATERAL (SELECT chunk_id, tf, length FROM chunk_terms "
                  "WHERE workspace_id = $1 AND term = q.term) p GROUP BY p.chunk_id")
        passes, bound = "", "0.0::float8"
    else:
        args += [depth, (bm25.K1 + 1.0) * stats.drift * BOUND_MARGIN]
        passes = _pass_sql(f"${len(args) - 1}", f"${len(args)}", conditions)
        scored = "SELECT chunk_id, score FROM first UNION ALL SELECT chunk_id, score FROM second"
        bound = "(SELECT total FROM unread)"
    if not conditions:  # cut before reading chunks (ties at the cut come along)
        scored += " ORDER BY score DESC FETCH FIRST $4 ROWS WITH TIES"
    sql = (f"WITH {passes}scored AS ({scored}) "
           f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING}, s.score, {bound} AS bound "
           f"FROM scored s JOIN chunks ON chunks.workspace_id = $1 AND chunks.id = s.chunk_id"
           f"{conditions} "
           'ORDER BY s.score DESC, path COLLATE "C", start_line, id COLLATE "C" LIMIT $4')
    return (sql, *args)


# A posting's BM25 contribution (p: a chunk_terms row); float8 throughout: untyped, the
# parameters would be numeric, several times slower.
_SCORE = ("sum({idf} * p.tf * ($5::float8 + 1.0) / (p.tf + $5::float8 * "
          "(1.0 - $6::float8 + $6::float8 * p.length / $7::float8)))")


# A chunk's exact score (c: a row of `bounds`): its lower bound plus the terms it was not read
# for, looked up by primary key (chunk, then term: migration 011); only terms not read whole
# (it holds none of the others).
_EXACT = ("(c.lower + coalesce((SELECT "
          + _SCORE.format(idf="($3::float8[])[array_position($2::text[], p.term)]")
          + " FROM chunk_terms p WHERE p.workspace_id = $1 AND p.term = ANY(ARRAY(SELECT term "
          "FROM rest WHERE rest > 0.0 AND term <> ALL(c.terms))) "
          "AND p.chunk_id = c.chunk_id), 0.0))::real")


def _pass_sql(depth: str, scale: str, conditions: str) -> str:
    """The CTEs of a pass of `depth`, ending in `first` and `second` (the chunks it scores
    exactly) and `unread` (the bound on every chunk it did not read). `scale` turns an
    impact times an idf into a bound on a BM25 term ((k1 + 1) * drift * margin).

    top: the best `depth` postings of each query term, by impact (chunk_terms_impact).
    rest: per term, the most a chunk below its last read posting gains from it (0 when the
    term was read whole). partial: each chunk read (and kept by the filters), its score over
    the terms it was read for (`lower`) and the rests of those terms; it could gain at most
    the other terms' rests (`upper`). first: the 4 * limit best by `lower`, scored exactly;
    theta: the limit-th of those. second: the other chunks whose `upper` reaches theta.
    """
    filtered = ("" if not conditions else
                " JOIN chunks ON chunks.workspace_id = $1 AND chunks.id = p.chunk_id"
                + conditions)
    return (
        "top AS MATERIALIZED (SELECT q.term, q.idf, t.* "
        "FROM unnest($2::text[], $3::float8[]) AS q(term, idf) "
        "CROSS JOIN LATERAL (SELECT p.chunk_id, p.tf, p.length, p.impact FROM chunk_terms p "
        "WHERE p.workspace_id = $1 AND p.term = q.term "
        f"ORDER BY p.impact DESC LIMIT {depth}) t), "
        "rest AS MATERIALIZED (SELECT term, max(idf) AS idf, CASE WHEN count(*) < "
        f"{depth} THEN 0.0::float8 ELSE max(idf) * min(impact) * {scale}::float8 END AS rest "
        "FROM top GROUP BY term), "
        "unread AS (SELECT sum(rest) AS total FROM rest), "
        f"partial AS MATERIALIZED (SELECT p.chunk_id, {_SCORE.format(idf='p.idf')} AS lower, "
        "sum(r.rest) AS seen, array_agg(term) AS terms FROM top p JOIN rest r USING (term)"
        f"{filtered} GROUP BY p.chunk_id), "
        # The chunks read for most terms first: their `limit`-th exact score then rules out
        # every chunk whose upper bound is below it.
        "bounds AS MATERIALIZED (SELECT p.*, p.lower + u.total - p.seen AS upper, "
        "row_number() OVER (ORDER BY p.lower DESC) AS rank "
        "FROM partial p, unread u), "
        f"first AS MATERIALIZED (SELECT c.chunk_id, {_EXACT} AS score FROM bounds c "
        "WHERE c.rank <= 4 * $4), "
        "theta AS (SELECT coalesce((SELECT score FROM first ORDER BY score DESC "
        "OFFSET $4 - 1 LIMIT 1), '-infinity') AS score), "
        # Only when those already beat `unread` can the pass stand (its last hit must beat
        # it); otherwise the pass ends here, unsettled, without scoring the rest.
        f"second AS (SELECT c.chunk_id, {_EXACT} AS score FROM bounds c, theta, unread u "
        "WHERE theta.score > u.total AND c.rank > 4 * $4 "
        "AND c.upper >= theta.score * (1.0 - 1e-6)), ")
