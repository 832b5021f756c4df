"""Fixtures shared by every test folder."""

from __future__ import annotations

import os

# Before anything imports grpc: the embedded PostgreSQL's pg_ctl is started by fork (it runs as
# another user), and gRPC's fork handlers in that child crash it now and then.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.postgres import temporary_postgres

# The same generated examples on every run, so a CI result can be reproduced (and a red run is
# a real regression, not a new draw). `HYPOTHESIS_PROFILE=explore` draws new examples each run
# and more of them, to hunt for edge cases; a case it finds becomes an `@example` of its test.
settings.register_profile("reproducible", derandomize=True)
settings.register_profile("explore", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[EmbeddedPostgres]:
    """One real PostgreSQL with pgvector for the whole session (started on first use)."""
    with temporary_postgres("session") as server:
        yield server


@pytest.fixture
def pg_dsn(embedded_pg: EmbeddedPostgres) -> Iterator[str]:
    """The DSN of a fresh, empty database for this test alone, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex}"
    yield embedded_pg.create_database(name)
    embedded_pg.drop_database(name)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def storage(request):
    """An opened storage of each backend (a test file may define its own instead)."""
    from services.storage.memory.adapter import MemoryStorage
    from services.storage.postgres.adapter import PostgresStorage

    store = (MemoryStorage() if request.param == "memory"
             else PostgresStorage(request.getfixturevalue("pg_dsn")))
    await store.open()
    yield store
    await store.close()


@pytest.fixture(scope="module")
def llm():
    """A real OpenAI-compatible HTTP server on loopback, one per test module (tests reset it
    to clear recorded requests and faults)."""
    from tests.support.openai_server import OpenAIServer

    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
async def grpc_aio_stays_initialised():
    """gRPC's asyncio layer shuts itself down when its last channel or server closes and starts
    again with the next one: a new poller thread each time, once per test server here. A
    process serving for real never does that, and the cycle is where a CI run once hung; one
    idle channel held for the whole session keeps the layer up, as in production."""
    import grpc

    idle = grpc.aio.insecure_channel("127.0.0.1:9")  # never called
    yield
    await idle.close()
