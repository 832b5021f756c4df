"""The PostgreSQL + pgvector storage adapter over an asyncpg pool.

The pool replaces connections that died (a restarted server needs no new storage object), and
every connection-level failure leaves as StorageUnavailable (errors.py). A storage whose open()
failed opens itself on the next call, so the health loop's ping() brings it up once PostgreSQL
is reachable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
from pgvector.asyncpg import register_vector

from services.domain.errors import AlreadyExists, StorageUnavailable
from services.domain.models import (
    INTERRUPTED_MESSAGE,
    Chunk,
    Enrichment,
    FileRecord,
    IngestJob,
    JobState,
    Lease,
    ScoredChunk,
    SearchFilters,
    StorageStats,
    Workspace,
)
from services.domain.terms import search_terms
from services.storage import checks
from services.storage.postgres import job_owner, lease, lexical, rows, terms
from services.storage.postgres.connection import BoundedCancelConnection
from services.storage.postgres.errors import (
    UNAVAILABLE,
    describe_target,
    translated,
    unavailable,
)
from services.storage.postgres.migrate import (
    embedding_expression,
    ensure_vector_index,
    migrate,
)

log = logging.getLogger(__name__)

# Session settings for every pooled connection. With a filter in the WHERE clause an HNSW scan
# would otherwise stop after ef_search candidates and could return fewer rows than asked for;
# iterative scans keep going, in exact distance order.
_SERVER_SETTINGS = {"application_name": "knowport", "hnsw.iterative_scan": "strict_order"}


async def _init_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=json.dumps,
                              decoder=json.loads)


class PostgresStorage:
    """The Storage port over PostgreSQL (see services/storage/port.py for the contract)."""

    name = "postgres"

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10,
                 connect_timeout: float = 10.0, command_timeout: float = 30.0) -> None:
        self._dsn = dsn
        self._target = describe_target(dsn)
        self._min_size = min_size
        self._max_size = max_size
        # A new connection forks a backend which, in a database it has not served yet, first
        # builds its catalog caches: a pool opening several at once on a loaded 2-core
        # machine was seen to need more than 5 s.
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._closed = False
        self._open_lock = asyncio.Lock()
        self._indexed_dimensions: set[int] = set()
        self._planner_statistics = terms.PlannerStatistics()
        # Jobs this process claimed and runs: each one's owner lock connection (job_owner.py).
        self._job_owners: dict[str, asyncpg.Connection] = {}

    # --- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        async with self._open_lock:
            self._closed = False
            if self._pool is not None:
                return
            with translated(self._target):
                # Migrate over a plain connection first: the pool's connections register the
                # vector type, which does not exist in a new database until the migration.
                conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout,
                                             command_timeout=self._command_timeout,
                                             connection_class=BoundedCancelConnection)
                try:
                    await migrate(conn)
                finally:
                    await self._close_quietly(conn)
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=self._min_size, max_size=self._max_size,
                    init=_init_connection, timeout=self._connect_timeout,
                    command_timeout=self._command_timeout, server_settings=_SERVER_SETTINGS,
                    connection_class=BoundedCancelConnection)
            log.info("connected to PostgreSQL at %s", self._target)

    async def close(self) -> None:
        async with self._open_lock:
            pool, self._pool, self._closed = self._pool, None, True
        for job_id in list(self._job_owners):
            await self._release_job(job_id)
        if pool is not None:
            await self._close_quietly(pool)

    async def _close_quietly(self, closable: asyncpg.Pool | asyncpg.Connection) -> None:
        """Close gracefully, or drop the sockets when the server is gone or too slow."""
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
            # that arrives as the close completes.
            async with asyncio.timeout(self._connect_timeout):
                await closable.close()
        except UNAVAILABLE:  # TimeoutError is an OSError
            closable.terminate()

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.fetchval("SELECT 1")

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; failures inside the block leave as StorageUnavailable."""
        if self._pool is None and not self._closed:
            await self.open()
        pool = self._pool
        if pool is None:  # closed before or while opening
            raise StorageUnavailable(f"storage for PostgreSQL at {self._target} is closed")
        with translated(self._target):
            async with pool.acquire(timeout=self._command_timeout) as conn:
                try:
                    yield conn
                except asyncpg.InternalClientError as err:
                    # The driver lost track of the protocol on this connection (the server died
                    # mid-query, or a query broke off half-way). Returned to the pool, it would
                    # fail every later query of whoever gets it ("cannot switch to state 15;
                    # another operation (2) is in progress"): drop it, the pool opens another.
                    conn.terminate()
                    raise unavailable(self._target, "the connection broke mid-query") from err

    # --- workspaces -------------------------------------------------------------------
    async def upsert_workspace(self, workspace: Workspace) -> Workspace:
        async with self._connection() as conn:
            # Two statements, not one: a second statement sees a row that a concurrent
            # upsert committed while this INSERT waited on it.
            await conn.execute(
                "INSERT INTO workspaces (id, root, created_at) VALUES ($1, $2, "
                "coalesce($3, now())) ON CONFLICT (id) DO NOTHING",
                workspace.id, workspace.root, workspace.created_at)
            row = await conn.fetchrow("SELECT id, root, created_at FROM workspaces "
                                      "WHERE id = $1", workspace.id)
        return rows.workspace(row)

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        async with self._connection() as conn:
            row = await conn.fetchrow("SELECT id, root, created_at FROM workspaces "
                                      "WHERE id = $1", workspace_id)
        return None if row is None else rows.workspace(row)

    async def list_workspaces(self) -> list[Workspace]:
        async with self._connection() as conn:
            found = await conn.fetch('SELECT id, root, created_at FROM workspaces '
                                     'ORDER BY id COLLATE "C"')
        return [rows.workspace(r) for r in found]

    # --- files and chunks --------------------------------------------------------------
    async def replace_file(self, workspace_id: str, file: FileRecord,
                           chunks: Sequence[Chunk]) -> None:
        checked = checks.replacement(file, chunks)
        records = [rows.chunk_record(workspace_id, c) for c in checked]
        dimensions = {len(c.embedding) for c in checked if c.embedding is not None}
        async with self._connection() as conn:
            for n in dimensions - self._indexed_dimensions:
                await ensure_vector_index(conn, n)  # outside the transaction: it locks chunks
                self._indexed_dimensions.add(n)
            async with conn.transaction():
                # The index is derived data: a crash may lose the last few commits (the next
                # ingest redoes them) but never splits one, so no need to wait for the WAL
                # flush of every file. Atomicity and isolation are unchanged.
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.execute(
                    "INSERT INTO files (workspace_id, path, content_hash, size_bytes, mtime_ns, "
                    "language, summary, indexed_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, now())) "
                    "ON CONFLICT (workspace_id, path) DO UPDATE SET "
                    "content_hash = excluded.content_hash, size_bytes = excluded.size_bytes, "
                    "mtime_ns = excluded.mtime_ns, language = excluded.language, "
                    "summary = excluded.summary, indexed_at = excluded.indexed_at",
                    workspace_id, file.path, file.content_hash, file.size_bytes, file.mtime_ns,
                    file.language, file.summary, file.indexed_at)
                old = await conn.fetch("DELETE FROM chunks WHERE workspace_id = $1 "
                                       "AND path = $2 RETURNING id, lexical",
                                       workspace_id, file.path)
                if records:
                    await conn.copy_records_to_table("chunks", records=records,
                                                     columns=rows.CHUNK_COPY_COLUMNS)
                written = await terms.update(conn, workspace_id, rows.documents(old),
                                             [rows.record_document(r) for r in records])
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
                              WHERE workspace_id = $1 GROUP BY language) l) AS languages
                FROM (SELECT count(*) AS files, coalesce(sum(size_bytes), 0)::bigint AS total_bytes
                      FROM files WHERE workspace_id = $1) f,
                     (SELECT count(*) AS chunks,
                             count(*) FILTER (WHERE description <> '' OR purpose <> '')
                                 AS enriched,
                             count(embedding) AS embedded
                      FROM chunks WHERE workspace_id = $1) c""", workspace_id)
        return StorageStats(files=row["files"], chunks=row["chunks"],
                            enriched_chunks=row["enriched"], embedded_chunks=row["embedded"],
                            total_bytes=row["total_bytes"], languages=row["languages"])

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

    # --- ingest jobs -------------------------------------------------------------------
    async def save_job(self, job: IngestJob) -> None:
        async with self._connection() as conn:
            await _save_job(conn, job)
        if job.state.finished:
            await self._release_job(job.id)
        elif job.id in self._job_owners:
            await self._keep_owning(job.id)

    async def claim_job(self, job: IngestJob,
                        stale_after: timedelta) -> tuple[IngestJob, bool]:
        # The owner lock is taken before the job row exists, so no claimant ever sees the new
        # job without its owner.
        with translated(self._target):
            self._job_owners[job.id] = await job_owner.hold(self._dsn, job.id,
                                                            connect_timeout=self._connect_timeout)
        try:
            claimed, created = await self._claim(job, stale_after)
        except BaseException:
            await self._release_job(job.id)
            raise
        if not created:
            await self._release_job(job.id)
        return claimed, created

    async def _claim(self, job: IngestJob, stale_after: timedelta) -> tuple[IngestJob, bool]:
        async with self._connection() as conn, conn.transaction():
            # One claimant per workspace at a time, across every process on this database.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('ingest:' || $1))",
                               job.workspace_id)
            # Live: its runner holds the owner lock and its heartbeat is fresh (a runner that
            # is alive but stuck goes stale).
            fresh = await conn.fetch(
                f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs WHERE workspace_id = $1 "
                f"AND state IN ({_UNFINISHED}) AND heartbeat_at > clock_timestamp() - $2::interval "
                "ORDER BY created_at DESC", job.workspace_id, stale_after)
            for live in fresh:
                if not await job_owner.owner_gone(conn, live["id"]):
                    return rows.job(live), False
            await conn.execute(
                f"UPDATE ingest_jobs SET state = $2, message = $3, "
                f"finished_at = clock_timestamp() WHERE workspace_id = $1 "
                f"AND state IN ({_UNFINISHED})",
                job.workspace_id, JobState.FAILED.value, INTERRUPTED_MESSAGE)
            await _save_job(conn, job)
            saved = await conn.fetchrow(
                f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs WHERE id = $1", job.id)
        return rows.job(saved), True

    async def _keep_owning(self, job_id: str) -> None:
        """Take the owner lock again if its connection was lost (PostgreSQL restarted) while
        the job runs on; a failure leaves it to the next snapshot."""
        if not self._job_owners[job_id].is_closed():
            return
        log.warning("ingest %s: lost its owner lock's connection; taking the lock again", job_id)
        with translated(self._target):
            self._job_owners[job_id] = await job_owner.hold(self._dsn, job_id,
                                                           connect_timeout=self._connect_timeout)

    async def _release_job(self, job_id: str) -> None:
        if (conn := self._job_owners.pop(job_id, None)) is not None:
            await self._close_quietly(conn)

    async def request_cancel(self, job_id: str) -> None:
        async with self._connection() as conn:
            await conn.execute(f"UPDATE ingest_jobs SET cancel_requested = true "
                               f"WHERE id = $1 AND state IN ({_UNFINISHED})", job_id)

    async def get_job(self, job_id: str) -> IngestJob | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs WHERE id = $1",
                                      job_id)
        return None if row is None else rows.job(row)

    async def find_job_by_request_id(self, workspace_id: str,
                                     request_id: str) -> IngestJob | None:
        if not request_id:
            return None
        async with self._connection() as conn:
            row = await conn.fetchrow(f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs "
                                      "WHERE workspace_id = $1 AND request_id = $2",
                                      workspace_id, request_id)
        return None if row is None else rows.job(row)

    async def list_jobs(self, workspace_id: str, limit: int,
                        after_job_id: str = "") -> list[IngestJob]:
        async with self._connection() as conn:
            if not after_job_id:
                found = await conn.fetch(
                    f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs WHERE workspace_id = $1 "
                    'ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2',
                    workspace_id, max(limit, 0))
                return [rows.job(r) for r in found]
            cursor = await conn.fetchrow("SELECT created_at, id FROM ingest_jobs "
                                         "WHERE id = $1 AND workspace_id = $2",
                                         after_job_id, workspace_id)
            if cursor is None:
                raise checks.unknown_cursor(after_job_id)
            found = await conn.fetch(
                f"SELECT {rows.JOB_COLUMNS} FROM ingest_jobs WHERE workspace_id = $1 "
                'AND (created_at < $2 OR (created_at = $2 AND id COLLATE "C" < $3)) '
                'ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $4',
                workspace_id, cursor["created_at"], cursor["id"], max(limit, 0))
        return [rows.job(r) for r in found]

    # --- the LLM lease -----------------------------------------------------------------
    async def acquire_lease(self, holder: str, ttl: timedelta,
                            lease_id: str) -> tuple[Lease, bool]:
        checks.lease_request(ttl, lease_id)
        async with self._connection() as conn:
            return await lease.acquire(conn, holder, ttl, lease_id)

    async def renew_lease(self, lease_id: str, ttl: timedelta) -> Lease | None:
        checks.lease_request(ttl, lease_id)
        async with self._connection() as conn:
            return await lease.renew(conn, lease_id, ttl)

    async def release_lease(self, lease_id: str) -> bool:
        async with self._connection() as conn:
            return await lease.release(conn, lease_id)

    async def last_lease(self) -> Lease | None:
        async with self._connection() as conn:
            return await lease.last(conn)

    async def lease_changes(self) -> AsyncIterator[None]:
        # A connection of its own, outside the pool: LISTEN lives as long as the session.
        changed: asyncio.Queue[bool] = asyncio.Queue()
        with translated(self._target):
            conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
        try:
            conn.add_termination_listener(lambda _: changed.put_nowait(False))
            with translated(self._target):
                await conn.add_listener(lease.CHANGES_CHANNEL,
                                        lambda *_: changed.put_nowait(True))
            while await changed.get():
                yield
            raise StorageUnavailable(f"lost the lease listener's connection to PostgreSQL "
                                     f"at {self._target}")
        finally:
            await self._close_quietly(conn)

    async def current_lease(self) -> Lease | None:
        async with self._connection() as conn:
            return await lease.current(conn)


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


_UNFINISHED = ", ".join(f"'{state.value}'" for state in JobState if not state.finished)


async def _save_job(conn: asyncpg.Connection, job: IngestJob) -> None:
    """Upsert a job; the heartbeat comes from the database's clock, the cancel flag sticks."""
    try:
        await conn.execute(
            f"INSERT INTO ingest_jobs ({rows.JOB_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, coalesce($6, clock_timestamp()), $7, $8, $9, $10, "
            f"CASE WHEN $4 IN ({_UNFINISHED}) THEN clock_timestamp() ELSE $11 END, $12) "
            "ON CONFLICT (id) DO UPDATE SET workspace_id = excluded.workspace_id, "
            '"full" = excluded."full", state = excluded.state, '
            "request_id = excluded.request_id, "
            "created_at = coalesce($6, ingest_jobs.created_at), "
            "finished_at = excluded.finished_at, counts = excluded.counts, "
            "skipped = excluded.skipped, message = excluded.message, "
            "heartbeat_at = coalesce(excluded.heartbeat_at, ingest_jobs.heartbeat_at), "
            "cancel_requested = ingest_jobs.cancel_requested OR excluded.cancel_requested",
            *rows.job_args(job))
    except asyncpg.UniqueViolationError as err:
        other = await conn.fetchval(
            "SELECT id FROM ingest_jobs WHERE workspace_id = $1 AND request_id = $2",
            job.workspace_id, job.request_id)
        raise AlreadyExists(
            f"request id {job.request_id!r} already started job {other}",
            metadata={"job_id": other or ""}) from err
