"""The LLM lease in PostgreSQL: one row, judged by the database's clock.

Expiry compares with clock_timestamp(), never with this process's clock, so every server
process sharing the database agrees on who holds the lease. Acquiring locks the row first
(SELECT ... FOR UPDATE), so of two processes acquiring at once exactly one wins; renewing and
releasing are single conditional UPDATEs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg

from services.domain.errors import StorageUnavailable
from services.domain.models import Lease
from services.storage import checks
from services.storage.postgres import rows
from services.storage.postgres.driver_errors import translated
from services.storage.postgres.pool import PostgresPool

_LIVE = "expires_at > clock_timestamp()"
CHANGES_CHANNEL = "knowport_lease"
_NOTIFY = f"SELECT pg_notify('{CHANGES_CHANNEL}', '')"


async def acquire(conn: asyncpg.Connection, holder: str, ttl: timedelta,
                  lease_id: str) -> tuple[Lease, bool]:
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT {rows.LEASE_COLUMNS}, {_LIVE} AS live FROM llm_lease WHERE id = 1 "
            "FOR UPDATE")
        if row["live"]:  # a retry by the live holder is not contention
            return rows.lease(row), row["lease_id"] == lease_id
        row = await conn.fetchrow(
            "UPDATE llm_lease SET holder = $1, lease_id = $2, "
            "fencing_token = nextval('llm_fencing_seq'), expires_at = clock_timestamp() + $3 "
            f"WHERE id = 1 RETURNING {rows.LEASE_COLUMNS}", holder, lease_id, ttl)
        await conn.execute(_NOTIFY)  # delivered to listeners when this transaction commits
        return rows.lease(row), True


async def renew(conn: asyncpg.Connection, lease_id: str, ttl: timedelta) -> Lease | None:
    row = await conn.fetchrow(
        "UPDATE llm_lease SET expires_at = clock_timestamp() + $2 "
        f"WHERE id = 1 AND lease_id = $1 AND {_LIVE} RETURNING {rows.LEASE_COLUMNS}",
        lease_id, ttl)
    if row is None:
        return None
    await conn.execute(_NOTIFY)
    return rows.lease(row)


async def release(conn: asyncpg.Connection, lease_id: str) -> bool:
    row = await conn.fetchrow(
        "UPDATE llm_lease SET expires_at = '-infinity' "
        f"WHERE id = 1 AND lease_id = $1 AND {_LIVE} RETURNING 1", lease_id)
    if row is None:
        return False
    await conn.execute(_NOTIFY)
    return True


async def current(conn: asyncpg.Connection) -> Lease | None:
    row = await conn.fetchrow(f"SELECT {rows.LEASE_COLUMNS} FROM llm_lease WHERE id = 1 "
                              f"AND {_LIVE}")
    return None if row is None else rows.lease(row)


async def last(conn: asyncpg.Connection) -> Lease | None:
    row = await conn.fetchrow(f"SELECT {rows.LEASE_COLUMNS} FROM llm_lease WHERE id = 1 "
                              "AND lease_id <> ''")
    return None if row is None else rows.lease(row)


class PostgresLeases(PostgresPool):
    """The `Leases` role over the functions above."""

    async def acquire_lease(self, holder: str, ttl: timedelta,
                            lease_id: str) -> tuple[Lease, bool]:
        checks.lease_request(ttl, lease_id)
        async with self._connection() as conn:
            return await acquire(conn, holder, ttl, lease_id)

    async def renew_lease(self, lease_id: str, ttl: timedelta) -> Lease | None:
        checks.lease_request(ttl, lease_id)
        async with self._connection() as conn:
            return await renew(conn, lease_id, ttl)

    async def release_lease(self, lease_id: str) -> bool:
        async with self._connection() as conn:
            return await release(conn, lease_id)

    async def last_lease(self) -> Lease | None:
        async with self._connection() as conn:
            return await last(conn)

    async def lease_changes(self) -> AsyncIterator[None]:
        # A connection of its own, outside the pool: LISTEN lives as long as the session.
        changed: asyncio.Queue[bool] = asyncio.Queue()
        with translated(self._target):
            conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
        try:
            conn.add_termination_listener(lambda _: changed.put_nowait(False))
            with translated(self._target):
                await conn.add_listener(CHANGES_CHANNEL,
                                        lambda *_: changed.put_nowait(True))
            while await changed.get():
                yield
            raise StorageUnavailable(f"lost the lease listener's connection to PostgreSQL "
                                     f"at {self._target}")
        finally:
            await self._close_quietly(conn)

    async def current_lease(self) -> Lease | None:
        async with self._connection() as conn:
            return await current(conn)
