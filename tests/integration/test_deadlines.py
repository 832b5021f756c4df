"""Deadlines and cancellation: a call past its deadline ends as DEADLINE_EXCEEDED in time, the
server stops the work (the PostgreSQL query is cancelled, no task is left behind), and a
cancelled stream frees what it held."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as knowledge_pb
from knowport.v1 import lock_service_pb2 as lock_pb
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import running_server

SLEEP_SQL = "SELECT pg_sleep(30) /* knowport-slow-test */"
DEADLINE = 0.2
# Issue #8 asks for DEADLINE_EXCEEDED "in time"; the slack covers a loaded two-core machine,
# and is still far below the 30 s the slow query would take.
DEADLINE_SLACK = 0.8


class _SlowPostgres(PostgresStorage):
    """Fault injection: once `slow` is set, every lexical search (the path a Search takes
    without an embedder) runs into a 30-second query first."""

    slow = False

    async def search_lexical(self, *args, **kwargs):
        if self.slow:
            async with self._connection() as conn:
                await conn.execute(SLEEP_SQL)
        return await super().search_lexical(*args, **kwargs)


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


async def _tasks_back_to(baseline: int, patience: float = 3.0) -> bool:
    """Whether the task count returns to `baseline`. Polled: the server's own short-lived
    tasks (a health check's storage ping every 0.2 s) come and go beside a leaked one, which
    stays."""
    give_up = time.monotonic() + patience
    while _tasks() > baseline:
        if time.monotonic() > give_up:
            return False
        await asyncio.sleep(0.05)
    return True


@pytest.mark.postgres
async def test_a_search_past_its_deadline_stops_the_server_side_work(pg_dsn, tmp_path):
    # One pooled connection: were the cancelled query's connection not given back, the
    # search after it could not run at all.
    storage = _SlowPostgres(pg_dsn, min_size=1, max_size=1)
    await storage.open()
    search = knowledge_pb.SearchRequest(query="parse config",
                                        mode=knowledge_pb.SEARCH_MODE_LEXICAL)
    try:
        async with running_server(storage, tmp_path) as server:
            await server.knowledge.Search(search)  # warm: the workspace is registered
            baseline = _tasks()
            storage.slow = True

            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await server.knowledge.Search(search, timeout=DEADLINE)
            elapsed = time.monotonic() - started
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert elapsed < DEADLINE + DEADLINE_SLACK, f"the status came after {elapsed:.2f} s"

            await asyncio.sleep(1.0)
            assert await _slow_queries(pg_dsn) == 0, "the query outlived its call"
            assert await _tasks_back_to(baseline), "the call left tasks behind"

            storage.slow = False
            await server.knowledge.Search(search, timeout=10)  # the connection came back
    finally:
        await storage.close()


async def test_cancelled_streams_free_their_resources(tmp_path):
    async with running_server(MemoryStorage(), tmp_path) as server:
        baseline = _tasks()
        for _ in range(20):
            stream = server.lock.WatchLlmLock(lock_pb.WatchLlmLockRequest())
            await stream.read()
            stream.cancel()
        assert await _tasks_back_to(baseline), "cancelled streams left tasks behind"
