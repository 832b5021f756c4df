"""Who runs an ingest job, in a form every process sharing the database can check at once.

The process that claims a job holds a session-level advisory lock keyed by the job's id, on a
connection of its own, until the job is saved finished. PostgreSQL releases a session's locks
the moment its connection ends, and a process that dies (also by `kill -9`) has its sockets
closed by the kernel: so an unfinished job whose lock is free has no runner, on this machine or
any other, and is taken over at once instead of after its heartbeat goes stale.
"""

from __future__ import annotations

import asyncpg

# The advisory lock's first key; the second is hashtext(job id). Two-key locks live apart from
# the one-key `pg_advisory_xact_lock(hashtext('ingest:' || workspace))` claim_job takes.
_LOCK_CLASS = 0x4B50  # "KP"


async def hold(dsn: str, job_id: str, *, connect_timeout: float) -> asyncpg.Connection:
    """A new connection holding the job's owner lock; closing it (or dying) releases it."""
    conn = await asyncpg.connect(dsn, timeout=connect_timeout, command_timeout=connect_timeout,
                                 server_settings={"application_name": "knowport job owner"})
    try:
        # Only a momentary check (owner_gone) can hold it: wait for that, do not skip.
        await conn.execute(f"SELECT pg_advisory_lock({_LOCK_CLASS}, hashtext($1))", job_id)
    except BaseException:
        conn.terminate()
        raise
    return conn


async def owner_gone(conn: asyncpg.Connection, job_id: str) -> bool:
    """True when nobody holds the job's owner lock (its runner has ended or died).

    Checked by taking the lock and giving it back at once, on `conn` (a pooled connection: the
    pool's reset drops any advisory lock a failure might leave behind).
    """
    return await conn.fetchval(
        f"SELECT CASE WHEN pg_try_advisory_lock({_LOCK_CLASS}, hashtext($1)) "
        f"THEN pg_advisory_unlock({_LOCK_CLASS}, hashtext($1)) ELSE false END", job_id)
