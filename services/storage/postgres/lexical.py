"""Lexical search in PostgreSQL that stays fast on large workspaces: common terms rank but do
not match (the "common terms" cut-off that Elasticsearch and Lucene use).

`ts_rank` must read the tsvector of every chunk it ranks, so matching on common words
("return", "value", "test") would rank tens of thousands of rows per query. PostgreSQL's own
statistics (pg_stats.most_common_elems, kept by ANALYZE and autovacuum; migration 003 makes
them fine enough) say which lexemes are in more than COMMON of the chunks. Then:

- when some query word is rare, the chunks that hold a rare form of a rare word match, and
  every term of the query ranks them (a common word still lifts the chunks that have it);
- when every word is common, a chunk must hold all of them (each in any of its forms).

Before the first ANALYZE, and in small workspaces, no lexeme is common and any term matches.
When the narrowed match finds nothing (no chunk holds all the common words, or the rare word
exists nowhere), the search widens to any term with the same ranking: a query never comes back
empty because its words are common, as the memory backend never does.

A query word is a run of non-space characters; `|` joins alternative forms of it, the first
being the word as written (`returns|return`). Whether a word is rare is decided by the word as
written, so a made-up alternative (rare because it exists nowhere) never decides what matches.
"""

from __future__ import annotations

import asyncpg

from services.domain.models import SearchFilters
from services.storage.postgres import rows
from services.storage.tokens import search_terms

COMMON = 0.002  # a lexeme in more than 0.2% of the chunks is common
STATISTICS_TTL = 60.0  # seconds between reads of pg_stats


async def common_terms(conn: asyncpg.Connection) -> frozenset[str]:
    """The lexemes PostgreSQL counts in more than COMMON of the chunks (none before the
    first ANALYZE)."""
    row = await conn.fetchrow(
        "SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS shares "
        "FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'chunks' "
        "AND attname = 'tsv'")
    if row is None or row["lexemes"] is None:
        return frozenset()
    return frozenset(lexeme for lexeme, share in zip(row["lexemes"], row["shares"],
                                                     strict=False) if share > COMMON)


def words(query: str) -> list[list[list[str]]]:
    """The query's words, each a list of its forms' tokens (the first form as written)."""
    found = []
    for word in query.split():
        forms = [tokens for tokens in (search_terms(form) for form in word.split("|"))
                 if tokens]
        if forms:
            found.append(forms)
    return found


def _any_form(forms: list[list[str]]) -> str:
    """tsquery: the chunk holds the word in one of its forms (a compound identifier as
    itself or as all of its parts)."""
    alternatives = []
    for tokens in forms:
        whole, parts = tokens[0], tokens[1:]
        alternatives.append(whole if not parts else f"{whole} | ({' & '.join(parts)})")
    return " | ".join(f"({a})" for a in alternatives)


def matching(query_words: list[list[list[str]]], common: frozenset[str]) -> str:
    """The tsquery that decides which chunks match (see the module doc)."""
    rare = [t for forms in query_words if any(t not in common for t in forms[0])
            for tokens in forms for t in tokens if t not in common]
    if rare:
        return " | ".join(dict.fromkeys(rare))
    return " & ".join(f"({_any_form(forms)})" for forms in query_words)


def ranking(query_words: list[list[list[str]]]) -> str:
    """The tsquery that ranks: every term of every form."""
    return " | ".join(dict.fromkeys(t for forms in query_words for tokens in forms
                                    for t in tokens))


def ranked_sql(workspace_id: str, match: str, rank: str, limit: int,
               filters: SearchFilters) -> tuple:
    """(sql, *args): the best `limit` chunks matching tsquery `match`, ranked by `rank`.

    ts_rank rewards chunks that hold more of the terms, more often; normalisation 1 damps long
    chunks, roughly as BM25 does. Hits come without their embeddings: nothing that ranks or
    shows a hit reads them, and decoding hundreds of floats per row cost a hybrid search
    (50 hits of each ranking) about a third of its time in storage.
    """
    args: list = [workspace_id, match, rank, limit]
    sql = (f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING}, "
           "ts_rank(tsv, to_tsquery('simple', $3), 1) AS score FROM chunks "
           "WHERE workspace_id = $1 AND tsv @@ to_tsquery('simple', $2)"
           f"{rows.filter_sql(filters, args)} "
           'ORDER BY score DESC, path COLLATE "C", start_line, id COLLATE "C" LIMIT $4')
    return (sql, *args)
