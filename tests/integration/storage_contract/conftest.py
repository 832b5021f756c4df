"""The backends every contract test runs on. Lease expiry passes on a fake clock in memory and in
real time, with short TTLs, in PostgreSQL, whose lease follows the database clock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest

from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclasses.dataclass
class Backend:
    new: Callable[[], Storage]  # a storage object over this test's data (not yet opened)
    pass_time: Callable[[float], Awaitable[None]]  # let lease time go by


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        clock = FakeClock()
        shared = MemoryStorage(clock=clock)  # memory data lives in the object itself
        return Backend(new=lambda: shared, pass_time=clock.advance)
    dsn = request.getfixturevalue("pg_dsn")
    return Backend(new=lambda: PostgresStorage(dsn, connect_timeout=5, command_timeout=10),
                   pass_time=asyncio.sleep)


@pytest.fixture
async def storage(backend: Backend):
    store = backend.new()
    await store.open()
    yield store
    await store.close()
