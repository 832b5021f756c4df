"""The PostgreSQL + pgvector storage adapter: every storage role over one asyncpg pool
(pool.py). Workspaces, files and chunks, search and the model caches are written here; jobs
(jobs.py) and the LLM lease (lease.py) in their own role classes."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence

from services.domain.models import (
    Chunk,
    Enrichment,
    FileRecord,
    ScoredChunk,
    SearchFilters,
    StorageStats,
    Workspace,
)
from services.domain.symbols import FileSymbols
from services.domain.terms import search_terms
from services.storage import checks
from services.storage.postgres import lexical, rows, terms
from services.storage.postgres.jobs import PostgresJobs
from services.storage.postgres.layers import PostgresChunkLayers
from services.storage.postgres.lease import PostgresLeases
from services.storage.postgres.migrate import (
    embedding_expression,
)
from services.storage.postgres.symbols import PostgresSymbols, symbol_arrays

log = logging.getLogger(__name__)

_WORKSPACE_COLUMNS = "id, root, created_at, name"
# Every table with a workspace_id column, in an order that keeps foreign keys satisfied
# (chunks before the files they reference). A new layer's table joins this list.
WORKSPACE_TABLES = ("symbol_references", "symbol_imports", "symbol_definitions",
                    "chunk_terms", "term_stats", "lexical_totals", "chunks", "files",
                    "ingest_jobs")
# A file's write is one statement now (knowport_replace_file): the time a pathological file
# (150,000 distinct words in one chunk) took over its former statements, on a loaded machine.
WRITE_TIMEOUT_FACTOR = 4
# knowport_replace_file's parameters, typed: the file record, the chunk columns (embeddings
# as text; rows.chunk_arrays), the symbol columns (symbols.symbol_arrays).
_FILE_TYPES = ("text", "text", "text", "bigint", "bigint", "text", "text", "timestamptz",
               "text[]")
_CHUNK_TYPES = ("text[]", "integer[]", "integer[]", *["text[]"] * 9, "integer[]")
_SYMBOL_TYPES = ("text[]", "text[]", "text[]", "integer[]", "integer[]", "text[]",  # definitions
                 "text[]", "text[]", "text[]", "integer[]", "integer[]", "text[]",  # references
                 "text[]", "text[]", "integer[]")  # imports
_REPLACE_FILE_ARGS = ", ".join(f"${n}::{kind}" for n, kind in enumerate(
    _FILE_TYPES + _CHUNK_TYPES + _SYMBOL_TYPES, start=1))


class PostgresStorage(PostgresJobs, PostgresLeases, PostgresSymbols, PostgresChunkLayers):
    """The Storage port over PostgreSQL (see services/storage/port.py for the contract): the
    connection (pool.py), jobs (jobs.py) and the lease (lease.py) come from their role
    classes; workspaces, files, search and the model caches are here."""

    def __init__(self, dsn: str, **options: float) -> None:
        super().__init__(dsn, **options)
        self._planner_statistics = terms.PlannerStatistics()

    # --- workspaces -------------------------------------------------------------------
    async def upsert_workspace(self, workspace: Workspace) -> Workspace:
        async with self._connection() as conn:
            # Two statements, not one: a second statement sees a row that a concurrent
            # upsert committed while this INSERT waited on it.
            await conn.execute(
                "INSERT INTO workspaces (id, root, created_at, name) VALUES ($1, $2, "
                "coalesce($3, now()), $4) ON CONFLICT (id) DO NOTHING",
                workspace.id, workspace.root, workspace.created_at, workspace.name)
            row = await conn.fetchrow(f"SELECT {_WORKSPACE_COLUMNS} FROM workspaces "
                                      "WHERE id = $1", workspace.id)
        return rows.workspace(row)

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(f"SELECT {_WORKSPACE_COLUMNS} FROM workspaces "
                                      "WHERE id = $1", workspace_id)
        return None if row is None else rows.workspace(row)

    async def list_workspaces(self) -> list[Workspace]:
        async with self._connection() as conn:
            found = await conn.fetch(f'SELECT {_WORKSPACE_COLUMNS} FROM workspaces '
                                     'ORDER BY id COLLATE "C"')
        return [rows.workspace(r) for r in found]

    async def delete_workspace(self, workspace_id: str) -> bool:
        async with self._connection() as conn:
            # One transaction per table: a large workspace's postings are not held in one
            # long transaction, and the workspace row goes last so a retry finishes the job.
            for table in WORKSPACE_TABLES:
                async with conn.transaction():
                    await conn.execute(f"DELETE FROM {table} WHERE workspace_id = $1",
                                       workspace_id)
            done = await conn.execute("DELETE FROM workspaces WHERE id = $1", workspace_id)
        return done != "DELETE 0"

    # --- files and chunks --------------------------------------------------------------
    async def replace_file(self, workspace_id: str, file: FileRecord,
                           chunks: Sequence[Chunk], symbols: FileSymbols | None = None) -> None:
        checked = checks.replacement(file, chunks)
        dimensions = {len(c.embedding) for c in checked if c.embedding is not None}
        async with self._connection() as conn:
            await self._ensure_vector_indexes(conn, dimensions)
            # One statement, so one transaction and one round trip (migration 010); it does
            # the work of the many statements it replaces, each of which had the command
            # timeout to itself.
            written = await conn.fetchval(
                f"SELECT knowport_replace_file({_REPLACE_FILE_ARGS})",
                workspace_id, file.path, file.content_hash, file.size_bytes, file.mtime_ns,
                file.language, file.summary, file.indexed_at, sorted(map(str, file.layers)),
                *rows.chunk_arrays(checked), *symbol_arrays(symbols),
                timeout=self._command_timeout * WRITE_TIMEOUT_FACTOR)
            await self._planner_statistics.written(conn, written)

    async def delete_files(self, workspace_id: str, paths: Iterable[str]) -> int:
        paths = sorted(set(paths))
        if not paths:
            return 0
        async with self._connection() as conn, conn.transaction():
            # The files first, in order, as replace_file locks its file before its chunks.
            await conn.execute("SELECT 1 FROM files WHERE workspace_id = $1 AND path = "
                               'ANY($2::text[]) ORDER BY path COLLATE "C" FOR UPDATE',
                               workspace_id, paths)
            old = await conn.fetch("DELETE FROM chunks WHERE workspace_id = $1 AND path = "
                                   "ANY($2::text[]) RETURNING id, lexical", workspace_id, paths)
            await terms.update(conn, workspace_id, rows.documents(old), [])
            status = await conn.execute(
                "DELETE FROM files WHERE workspace_id = $1 AND path = ANY($2::text[])",
                workspace_id, paths)
        return int(status.rsplit(" ", 1)[-1])

    async def get_file(self, workspace_id: str, path: str) -> FileRecord | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(f"SELECT {rows.FILE_COLUMNS} FROM files "
                                      "WHERE workspace_id = $1 AND path = $2", workspace_id, path)
        return None if row is None else rows.file(row)

    async def list_files(self, workspace_id: str) -> list[FileRecord]:
        async with self._connection() as conn:
            found = await conn.fetch(f"SELECT {rows.FILE_COLUMNS} FROM files "
                                     'WHERE workspace_id = $1 ORDER BY path COLLATE "C"',
                                     workspace_id)
        return [rows.file(r) for r in found]

    async def get_files(self, workspace_id: str,
                        paths: Iterable[str]) -> dict[str, FileRecord]:
        paths = sorted(set(paths))
        if not paths:
            return {}
        async with self._connection() as conn:
            found = await conn.fetch(f"SELECT {rows.FILE_COLUMNS} FROM files "
                                     "WHERE workspace_id = $1 AND path = ANY($2::text[])",
                                     workspace_id, paths)
        return {r["path"]: rows.file(r) for r in found}

    async def iter_chunks(self, workspace_id: str,
                          batch_size: int = 1000) -> AsyncIterator[list[Chunk]]:
        # Keyset pagination rather than a cursor: no transaction stays open while the caller
        # works on a batch, and each batch is one short statement.
        after: tuple[str, int, str] = ("", 0, "")
        size = max(batch_size, 1)
        while True:
            async with self._connection() as conn:
                found = await conn.fetch(
                    f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING} FROM chunks "
                    "WHERE workspace_id = $1 AND (path COLLATE \"C\", start_line, "
                    "id COLLATE \"C\") > ($2, $3, $4) "
                    'ORDER BY path COLLATE "C", start_line, id COLLATE "C" LIMIT $5',
                    workspace_id, *after, size)
            if not found:
                return
            yield [rows.chunk(r) for r in found]
            last = found[-1]
            after = (last["path"], last["start_line"], last["id"])
            if len(found) < size:
                return

    async def get_chunks(self, workspace_id: str, path: str) -> list[Chunk]:
        async with self._connection() as conn:
            found = await conn.fetch(f"SELECT {rows.CHUNK_COLUMNS} FROM chunks "
                                     "WHERE workspace_id = $1 AND path = $2 "
                                     "ORDER BY start_line, start_column, end_line, "
                                     'id COLLATE "C"',
                                     workspace_id, path)
        return [rows.chunk(r) for r in found]

    # --- search ------------------------------------------------------------------------
    async def search_lexical(self, workspace_id: str, query: str, limit: int,
                             filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        terms = search_terms(query)
        if not terms or limit <= 0:
            return []
        # One snapshot for the statistics and the postings they score.
        async with self._connection() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            found = await lexical.ranked(conn, workspace_id, terms, limit, filters)
        return [ScoredChunk(rows.chunk(r), r["score"]) for r in found]

    async def search_semantic(self, workspace_id: str, vector: Sequence[float], limit: int,
                              filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        query = checks.vector(vector, "query vector")
        if limit <= 0 or not any(query):  # the zero vector has no direction to compare
            return []
        args: list = [workspace_id, list(query), limit]
        sql = semantic_sql(len(query), rows.filter_sql(filters, args))
        async with self._connection() as conn:
            found = await conn.fetch(sql, *args)
        return [ScoredChunk(rows.chunk(r), r["score"]) for r in found
                if not math.isnan(r["score"])]

    async def stats(self, workspace_id: str) -> StorageStats:
        async with self._connection() as conn:
            # One statement, so files and chunks are counted in one snapshot.
            row = await conn.fetchrow("""
                SELECT f.files, f.total_bytes, c.chunks, c.enriched, c.embedded,
                       (SELECT coalesce(jsonb_object_agg(language, n), '{}')
                        FROM (SELECT language, count(*) AS n FROM files
                              WHERE workspace_id = $1 GROUP BY language) l) AS languages,
                       (SELECT coalesce(jsonb_object_agg(layer, n), '{}')
                        FROM (SELECT layer, count(*) AS n FROM files, unnest(layers) AS layer
                              WHERE workspace_id = $1 GROUP BY layer) y) AS layers
                FROM (SELECT count(*) AS files, coalesce(sum(size_bytes), 0)::bigint AS total_bytes
                      FROM files WHERE workspace_id = $1) f,
                     (SELECT count(*) AS chunks,
                             count(*) FILTER (WHERE description <> '' OR purpose <> '')
                                 AS enriched,
                             count(embedding) AS embedded
                      FROM chunks WHERE workspace_id = $1) c""", workspace_id)
        return StorageStats(files=row["files"], chunks=row["chunks"],
                            enriched_chunks=row["enriched"], embedded_chunks=row["embedded"],
                            total_bytes=row["total_bytes"], languages=row["languages"],
                            layers=row["layers"])

    # --- caches keyed by (content hash, model) -----------------------------------------
    async def get_enrichments(self, model: str,
                              hashes: Iterable[str]) -> dict[str, Enrichment]:
        async with self._connection() as conn:
            found = await conn.fetch(
                "SELECT content_hash, description, purpose FROM enrichment_cache "
                "WHERE model = $1 AND content_hash = ANY($2::text[])", model, list(hashes))
        return {r["content_hash"]: Enrichment(r["description"], r["purpose"]) for r in found}

    async def put_enrichments(self, model: str, items: Mapping[str, Enrichment]) -> None:
        if not items:
            return
        async with self._connection() as conn:
            await conn.executemany(
                "INSERT INTO enrichment_cache (content_hash, model, description, purpose) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (content_hash, model) DO UPDATE SET "
                "description = excluded.description, purpose = excluded.purpose",
                [(h, model, e.description, e.purpose) for h, e in items.items()])

    async def get_embeddings(self, model: str,
                             hashes: Iterable[str]) -> dict[str, tuple[float, ...]]:
        async with self._connection() as conn:
            found = await conn.fetch(
                "SELECT content_hash, embedding FROM embedding_cache "
                "WHERE model = $1 AND content_hash = ANY($2::text[])", model, list(hashes))
        return {r["content_hash"]: rows.vector(r["embedding"]) for r in found}

    async def put_embeddings(self, model: str, items: Mapping[str, Sequence[float]]) -> None:
        records = [(h, model, list(checks.vector(v, f"embedding {h}"))) for h, v in items.items()]
        if not records:
            return
        async with self._connection() as conn:
            await conn.executemany(
                "INSERT INTO embedding_cache (content_hash, model, embedding) "
                "VALUES ($1, $2, $3) ON CONFLICT (content_hash, model) DO UPDATE SET "
                "embedding = excluded.embedding", records)



def semantic_sql(dimensions: int, filters: str) -> str:
    """Nearest chunks of one dimension; $1 workspace, $2 query vector, $3 limit.

    The distance uses the indexed expression verbatim and the WHERE clause implies the
    partial index's predicate, so the planner can use the dimension's HNSW index. Ordering
    by the distance alone keeps that possible (ties are rare and left unordered). Hits come
    without their embeddings, as lexical ones do (lexical.ranked_sql).
    """
    distance = f"{embedding_expression(dimensions)} <=> $2::vector({int(dimensions)})"
    return (f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING}, 1 - ({distance}) AS score FROM chunks "
            f"WHERE workspace_id = $1 AND vector_dims(embedding) = {int(dimensions)}{filters} "
            f"ORDER BY {distance} LIMIT $3")


