"""A job's owner lock (storage/postgres/job_owner.py) is taken on a connection opened ahead of
the job, so starting a job (a `paths` ingest of one file) waits for no new backend; a spare
that died meanwhile is replaced by a new connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.domain.models import IngestJob, JobState
from services.storage.postgres.adapter import PostgresStorage

pytestmark = pytest.mark.postgres

OWNER = "knowport job owner"
HOUR = timedelta(hours=1)


def _job(job_id: str, workspace: str) -> IngestJob:
    return IngestJob(id=job_id, workspace_id=workspace, full=False, state=JobState.RUNNING,
                     created_at=datetime.now(UTC))


async def _idle_owner(conn: asyncpg.Connection) -> int:
    """The pid of the owner connection that holds no advisory lock (the spare), once open."""
    async with asyncio.timeout(30):
        while True:
            pid = await conn.fetchval(
                "SELECT a.pid FROM pg_stat_activity a WHERE a.application_name = $1 "
                "AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid "
                "AND l.locktype = 'advisory')", OWNER)
            if pid is not None:
                return pid
            await asyncio.sleep(0.02)


async def _holder(conn: asyncpg.Connection, job_id: str) -> int | None:
    return await conn.fetchval(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = 19280 AND objid = hashtext($1)::oid AND objsubid = 2", job_id)


async def test_the_next_job_takes_its_owner_lock_on_the_connection_opened_ahead(pg_dsn):
    storage, admin = PostgresStorage(pg_dsn), await asyncpg.connect(pg_dsn)
    try:
        await storage.open()
        _, created = await storage.claim_job(_job("j1", "w1"), HOUR)
        assert created
        spare = await _idle_owner(admin)
        _, created = await storage.claim_job(_job("j2", "w2"), HOUR)
        assert created and await _holder(admin, "j2") == spare
        assert await _holder(admin, "j1") not in (None, spare)
    finally:
        await storage.close()
        await admin.close()


async def test_a_spare_that_died_is_replaced_and_the_job_still_gets_its_owner(pg_dsn):
    storage, admin = PostgresStorage(pg_dsn), await asyncpg.connect(pg_dsn)
    try:
        await storage.open()
        await storage.claim_job(_job("j1", "w1"), HOUR)
        spare = await _idle_owner(admin)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", spare)
        _, created = await storage.claim_job(_job("j2", "w2"), HOUR)
        holder = await _holder(admin, "j2")
        assert created and holder is not None and holder != spare
        # Finished, the job gives its owner lock back.
        job = _job("j2", "w2")
        job.state, job.finished_at = JobState.SUCCEEDED, datetime.now(UTC)
        await storage.save_job(job)
        assert await _holder(admin, "j2") is None
    finally:
        await storage.close()
        await admin.close()
