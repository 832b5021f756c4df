"""Deadlines and cancellation: a call past its deadline ends as DEADLINE_EXCEEDED in time, the
server stops the work (the PostgreSQL query is cancelled, no task is left behind), and a
cancelled stream frees what it held."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
import pytest

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import lock_service_pb2 as lock_pb
from services.storage.memory import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import running_server

SLEEP_SQL = "SELECT pg_sleep(30) /* knowport-slow-test */"


class _SlowPostgres(PostgresStorage):
    """Fault injection: GetStats runs into a 30-second query first."""

    async def stats(self, workspace_id):
        async with self._connection() as conn:
            await conn.execute(SLEEP_SQL)
        return await super().stats(workspace_id)


async def _slow_queries(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE '%knowport-slow-test%' AND pid <> pg_backend_pid()")
    finally:
        await conn.close()


def _tasks() -> int:
    return len(asyncio.all_tasks())


async def test_a_deadline_stops_the_server_side_work(pg_dsn, tmp_path):
    storage = _SlowPostgres(pg_dsn)
    await storage.open()
    try:
        async with running_server(storage, tmp_path) as server:
            baseline = _tasks()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await server.ingest.GetStats(ingest_pb.GetStatsRequest(), timeout=0.2)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            await asyncio.sleep(1.0)
            assert await _slow_queries(pg_dsn) == 0, "the query outlived its call"
            assert _tasks() <= baseline
    finally:
        await storage.close()


async def test_cancelled_streams_free_their_resources(tmp_path):
    async with running_server(MemoryStorage(), tmp_path) as server:
        baseline = _tasks()
        for _ in range(20):
            stream = server.lock.WatchLlmLock(lock_pb.WatchLlmLockRequest())
            await stream.read()
            stream.cancel()
        await asyncio.sleep(0.5)
        assert _tasks() <= baseline
