"""PostgreSQL goes away and comes back: the same storage object reports it and recovers.

These tests stop their own embedded server (in its own folder), never the session's shared
one, and leave it running when they finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from services.domain.errors import StorageUnavailable
from services.domain.models import Workspace
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.postgres import temporary_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def own_pg() -> Iterator[EmbeddedPostgres]:
    with temporary_postgres("outage") as server:
        yield server


@pytest.fixture
def fresh_dsn(own_pg: EmbeddedPostgres) -> Iterator[str]:
    own_pg.start()  # in case a failed test left it stopped
    name = f"outage_{time.monotonic_ns()}"
    yield own_pg.create_database(name)
    own_pg.start()
    own_pg.drop_database(name)


def short_timeouts(dsn: str) -> PostgresStorage:
    return PostgresStorage(dsn, connect_timeout=2, command_timeout=2)


async def test_stopped_server_is_unavailable_and_the_same_object_recovers(own_pg, fresh_dsn):
    storage = short_timeouts(fresh_dsn)
    await storage.open()
    try:
        await storage.upsert_workspace(Workspace(id="w", root="/w"))

        await asyncio.to_thread(own_pg.stop)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="PostgreSQL at .* is unavailable"):
            await storage.ping()
        with pytest.raises(StorageUnavailable) as raised:
            await storage.get_workspace("w")
        assert raised.value.__cause__ is not None  # the driver error is kept as the cause
        assert time.monotonic() - started < 5, "outage detection must not hang"

        await asyncio.to_thread(own_pg.start)
        await storage.ping()
        assert (await storage.get_workspace("w")).root == "/w"  # the data survived too
    finally:
        await storage.close()


async def test_open_that_failed_is_retried_by_ping(own_pg, fresh_dsn):
    await asyncio.to_thread(own_pg.stop)
    storage = short_timeouts(fresh_dsn)
    try:
        with pytest.raises(StorageUnavailable):
            await storage.open()
        with pytest.raises(StorageUnavailable):
            await storage.ping()

        await asyncio.to_thread(own_pg.start)
        await storage.ping()  # opens: connects and migrates
        assert await storage.upsert_workspace(Workspace(id="w", root="/w"))
    finally:
        await storage.close()


async def test_closed_storage_says_so(fresh_dsn):
    storage = short_timeouts(fresh_dsn)
    await storage.open()
    await storage.close()
    await storage.close()  # idempotent
    with pytest.raises(StorageUnavailable, match="closed"):
        await storage.ping()
