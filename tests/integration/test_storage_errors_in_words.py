"""Storage failures reach people (RPC errors, job messages) in words, never as driver internals:
no exception class names, no errno codes, no protocol states."""

from __future__ import annotations

import re
import socket

import asyncpg
import pytest

from services.domain.errors import StorageUnavailable
from services.ingestor.jobs import failure_text
from services.storage.postgres.adapter import PostgresStorage

pytestmark = pytest.mark.postgres

DRIVER_TALK = re.compile(r"Error\b|Errno|\[\d+\]|state \d+|asyncpg")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _failure_of(dsn: str) -> str:
    storage = PostgresStorage(dsn, connect_timeout=5)
    with pytest.raises(StorageUnavailable) as caught:
        await storage.ping()
    await storage.close()
    return caught.value.message


async def test_no_server_listening_is_connection_refused():
    port = _closed_port()
    message = await _failure_of(f"postgresql://knowport@127.0.0.1:{port}/knowport")
    assert message == (f"PostgreSQL at 127.0.0.1:{port}/knowport is unavailable: "
                       "connection refused: is it running?")


async def test_a_database_that_does_not_exist_is_named_so(embedded_pg):
    dsn = embedded_pg.dsn("no_such_database")
    message = await _failure_of(dsn)
    assert message.endswith("is unavailable: the database does not exist"), message
    assert not DRIVER_TALK.search(message), message


def test_a_job_failing_on_a_driver_internal_error_does_not_repeat_it():
    # The text a job once carried as its message (issue 11, item 12).
    internal = asyncpg.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress")
    text = failure_text(internal)
    assert "state 15" not in text and "another operation" not in text
    assert "see the server log" in text
    assert failure_text(StorageUnavailable("PostgreSQL at h/db is unavailable: the "
                                            "connection was lost")).endswith("was lost")
