"""A cancellation that lands as the storage closes a PostgreSQL connection reaches its task.

Python 3.11's asyncio.wait_for swallows a cancellation that arrives in the step between the
awaited thing completing and the waiting task resuming (see test_shutdown_cancellation.py);
closing a connection used it. The test lands in that step on purpose, not by luck.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.connection import BoundedCancelConnection

pytestmark = pytest.mark.postgres

HANG_GUARD_SECONDS = 10


class CancelCallerOnClose(BoundedCancelConnection):
    """A real connection that cancels `caller` in the step its close completes."""

    caller: asyncio.Task | None = None

    async def close(self, **options) -> None:
        await super().close(**options)
        if self.caller is not None:
            self.caller.cancel()


async def test_a_cancellation_landing_as_a_connection_closes_ends_the_task_cancelled(pg_dsn):
    storage = PostgresStorage(pg_dsn)
    conn = await asyncpg.connect(pg_dsn, connection_class=CancelCallerOnClose)
    closing = asyncio.create_task(storage._close_quietly(conn))
    conn.caller = closing
    done, _ = await asyncio.wait({closing}, timeout=HANG_GUARD_SECONDS)
    assert closing in done and closing.cancelled(), "the cancellation was swallowed"
    assert conn.is_closed()
