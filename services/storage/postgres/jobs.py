"""Ingest jobs in PostgreSQL (the `Jobs` role): one row per job; a process that claims a job
holds its owner lock (job_owner.py) until it saves the job finished or closes the storage."""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from services.domain.errors import AlreadyExists
from services.domain.models import INTERRUPTED_MESSAGE, IngestJob, JobState
from services.storage import checks
from services.storage.postgres import job_owner, rows
from services.storage.postgres.driver_errors import translated
from services.storage.postgres.pool import PostgresPool

log = logging.getLogger(__name__)


class PostgresJobs(PostgresPool):
    def __init__(self, dsn: str, **options: float) -> None:
        super().__init__(dsn, **options)
        # Jobs this process claimed and runs: each one's owner lock connection (job_owner.py).
        self._job_owners: dict[str, asyncpg.Connection] = {}
        self._owner_spares = job_owner.Spares(dsn, self._connect_timeout)

    async def close(self) -> None:
        await super().close()
        await self._owner_spares.close()
        for job_id in list(self._job_owners):
            await self._release_job(job_id)

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
            self._job_owners[job.id] = await self._owner_spares.hold(job.id)
        try:
            claimed, created = await self._claim(job, stale_after)
        except BaseException:
            await self._release_job(job.id)
            raise
        if not created:
            await self._release_job(job.id)
        return claimed, created

    async def _claim(self, job: IngestJob, stale_after: timedelta) -> tuple[IngestJob, bool]:
        """One statement (migration 012): the live job that holds the workspace, or the new
        one (created: True), every older unfinished one marked interrupted."""
        async with self._connection() as conn:
            try:
                row = await conn.fetchrow(
                    f"SELECT {rows.JOB_COLUMNS} FROM knowport_claim_job({_CLAIM_ARGS})",
                    stale_after, _UNFINISHED_STATES, JobState.FAILED.value,
                    INTERRUPTED_MESSAGE, job_owner.LOCK_CLASS, *rows.job_args(job))
            except asyncpg.UniqueViolationError as err:
                raise await _request_taken(conn, job) from err
        return rows.job(row), row["id"] == job.id

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


_UNFINISHED_STATES = [state.value for state in JobState if not state.finished]
_UNFINISHED = ", ".join(f"'{state}'" for state in _UNFINISHED_STATES)
# knowport_claim_job's parameters: the stale age, the unfinished states, the interrupted
# state and message, the owner lock's class, then the job as rows.job_args gives it.
_CLAIM_ARGS = ", ".join(f"${n}::{kind}" for n, kind in enumerate(
    ("interval", "text[]", "text", "text", "integer", "text", "text", "boolean", "text", "text",
     "timestamptz", "timestamptz", "jsonb", "jsonb", "text", "timestamptz", "boolean"),
    start=1))


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
        raise await _request_taken(conn, job) from err


async def _request_taken(conn: asyncpg.Connection, job: IngestJob) -> AlreadyExists:
    """The error for a job whose request id already started another job of its workspace."""
    other = await conn.fetchval(
        "SELECT id FROM ingest_jobs WHERE workspace_id = $1 AND request_id = $2",
        job.workspace_id, job.request_id)
    return AlreadyExists(f"request id {job.request_id!r} already started job {other}",
                         metadata={"job_id": other or ""})
