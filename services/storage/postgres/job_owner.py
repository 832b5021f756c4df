"""Who runs an ingest job, in a form every process sharing the database can check at once.

The process that claims a job holds a session-level advisory lock keyed by the job's id, on a
connection of its own, until the job is saved finished. PostgreSQL releases a session's locks
the moment its connection ends, and a process that dies (also by `kill -9`) has its sockets
closed by the kernel: so an unfinished job whose lock is free has no runner, on this machine or
any other, and is taken over at once instead of after its heartbeat goes stale.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

# The advisory lock's first key; the second is hashtext(job id). A claim (migration 012's
# knowport_claim_job) tells a live runner by failing to take it for a moment. Two-key locks
# live apart from the one-key `pg_advisory_xact_lock(hashtext('ingest:' || workspace))` the
# claim takes.
LOCK_CLASS = 0x4B50  # "KP"


async def connect(dsn: str, *, connect_timeout: float) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, timeout=connect_timeout, command_timeout=connect_timeout,
                                 server_settings={"application_name": "knowport job owner"})


async def hold(dsn: str, job_id: str, *, connect_timeout: float,
               conn: asyncpg.Connection | None = None) -> asyncpg.Connection:
    """A connection of its own (`conn`, or a new one) holding the job's owner lock; closing it
    (or dying) releases it."""
    if conn is None:
        conn = await connect(dsn, connect_timeout=connect_timeout)
    try:
        # Only a momentary check (owner_gone) can hold it: wait for that, do not skip.
        await conn.execute(f"SELECT pg_advisory_lock({LOCK_CLASS}, hashtext($1))", job_id)
    except BaseException:
        conn.terminate()
        raise
    return conn


class Spares:
    """One owner connection opened ahead of the next job: a new connection forks a backend,
    which on a loaded machine took ~25 ms of the ~75 ms a `paths` job needed to start."""

    def __init__(self, dsn: str, connect_timeout: float) -> None:
        self._dsn = dsn
        self._timeout = connect_timeout
        self._next: asyncio.Task[asyncpg.Connection] | None = None

    async def hold(self, job_id: str) -> asyncpg.Connection:
        """A connection holding the job's owner lock: the spare when it is alive, else a new
        one; then the next spare is opened in the background."""
        spare = await self._take()
        self._next = asyncio.create_task(connect(self._dsn, connect_timeout=self._timeout))
        if spare is not None:
            with contextlib.suppress(*_BROKEN):
                return await hold(self._dsn, job_id, connect_timeout=self._timeout, conn=spare)
        return await hold(self._dsn, job_id, connect_timeout=self._timeout)

    async def close(self) -> None:
        spare = await self._take()
        if spare is not None:
            spare.terminate()

    async def _take(self) -> asyncpg.Connection | None:
        """The spare (each one goes to one caller), once opened, if it opened and is still
        open (a restarted server closed it)."""
        task, self._next = self._next, None
        if task is None:
            return None
        try:
            await asyncio.wait([task])  # unlike `await task`, a cancelled caller leaves it be
        except asyncio.CancelledError:
            task.add_done_callback(_close_opened)  # and it is closed once open
            raise
        if task.cancelled() or task.exception() is not None:
            return None
        conn = task.result()
        return None if conn.is_closed() else conn


def _close_opened(task: asyncio.Task[asyncpg.Connection]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().terminate()


# A spare that failed to open or died meanwhile: a new connection is tried instead. A spare
# whose backend was ended while it sat idle may not know it yet: the server's goodbye arrives
# while the lock statement starts, and asyncpg reports that as an InternalClientError
# ("cannot switch to state 11; another operation is in progress"), seen under load in CI.
_BROKEN = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
