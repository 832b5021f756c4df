"""The connection side of the PostgreSQL adapter (the `Backend` role): an asyncpg pool.

The pool replaces connections that died (a restarted server needs no new storage object), and
every connection-level failure leaves as StorageUnavailable (driver_errors.py). A storage
whose open() failed opens itself on the next call, so the health loop's ping() brings it up
once PostgreSQL is reachable. The role classes (adapter.py, jobs.py, lease.py) query through
`_connection()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from pgvector.asyncpg import register_vector

from services.domain.errors import StorageUnavailable
from services.storage.postgres.connection import BoundedCancelConnection
from services.storage.postgres.driver_errors import (
    UNAVAILABLE,
    describe_target,
    translated,
    unavailable,
)
from services.storage.postgres.migrate import migrate

log = logging.getLogger(__name__)

# Session settings for every pooled connection. With a filter in the WHERE clause an HNSW scan
# would otherwise stop after ef_search candidates and could return fewer rows than asked for;
# iterative scans keep going, in exact distance order. HNSW is approximate: with its default
# candidate list (ef_search 40) the semantic top 10 of a few-thousand-chunk workspace differed
# from the exact ranking the memory backend returns (MRR@10 up to 0.03 apart on the retrieval
# bench); 200 candidates keep the two backends' rankings equal at a small cost per query.
_SERVER_SETTINGS = {"application_name": "knowport", "hnsw.iterative_scan": "strict_order",
                    "hnsw.ef_search": "200"}


async def _init_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=json.dumps,
                              decoder=json.loads)


class PostgresPool:
    """Opens, pings and closes the pool; hands out connections."""

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
