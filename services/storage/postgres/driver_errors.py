"""Turns driver and socket failures into StorageUnavailable, so no raw driver error escapes.

The message says what happened in a person's words ("connection refused: is it running?");
the driver's own text stays on the exception's __cause__, for the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import asyncpg

from services.domain.errors import StorageUnavailable

# What "PostgreSQL cannot serve us right now" looks like: sockets that fail or time out
# (TimeoutError is an OSError), lost or refused connections, a server shutting down or starting
# up, no free connection slots, and a target that does not accept us (login, database name).
UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    asyncpg.exceptions.InvalidCatalogNameError,
)


def describe_target(dsn: str) -> str:
    """host/database of a DSN for messages, without the user name or password."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if not host and "host=" in parts.query:  # unix socket: postgresql://u@/db?host=/dir
        host = parts.query.split("host=", 1)[1].split("&", 1)[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{host or 'localhost'}{port}{parts.path or '/'}"


# What each failure means, most specific first (the first isinstance match wins).
_IN_WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (asyncpg.CannotConnectNowError, "it is starting up or shutting down"),
    (asyncpg.exceptions.OperatorInterventionError, "it is shutting down or restarting"),
    (asyncpg.exceptions.InsufficientResourcesError, "it has no free connection slots"),
    (asyncpg.exceptions.InvalidAuthorizationSpecificationError, "it refused the login"),
    (asyncpg.exceptions.InvalidCatalogNameError, "the database does not exist"),
    (ConnectionRefusedError, "connection refused: is it running?"),
    (FileNotFoundError, "no server listens there: is it running?"),  # a unix socket path
    (TimeoutError, "it did not answer in time"),
    (asyncpg.InterfaceError, "the connection is closed or unusable"),
)
_CONNECTION_LOST = "the connection was lost"


def in_words(err: BaseException) -> str:
    """Why PostgreSQL cannot serve us, for a person (no driver class names or codes)."""
    for kind, words in _IN_WORDS:
        if isinstance(err, kind):
            return words
    if isinstance(err, (asyncpg.PostgresConnectionError, ConnectionError)):
        return _CONNECTION_LOST
    strerror = getattr(err, "strerror", None)  # an OSError's own words, e.g. "No route to host"
    return f"network error: {strerror.lower()}" if strerror else _CONNECTION_LOST


def unavailable(target: str, why: str) -> StorageUnavailable:
    return StorageUnavailable(f"PostgreSQL at {target} is unavailable: {why}",
                              metadata={"backend": "postgres"})


@contextmanager
def translated(target: str) -> Iterator[None]:
    """Re-raise connection-level failures inside the block as StorageUnavailable."""
    try:
        yield
    except UNAVAILABLE as err:
        raise unavailable(target, in_words(err)) from err
