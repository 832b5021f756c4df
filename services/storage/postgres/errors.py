"""Turns driver and socket failures into StorageUnavailable, so no raw driver error escapes."""

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


@contextmanager
def translated(target: str) -> Iterator[None]:
    """Re-raise connection-level failures inside the block as StorageUnavailable."""
    try:
        yield
    except UNAVAILABLE as err:
        reason = str(err) or ("timed out" if isinstance(err, TimeoutError) else "no detail")
        raise StorageUnavailable(
            f"PostgreSQL at {target} is unavailable: {type(err).__name__}: {reason}",
            metadata={"backend": "postgres"},
        ) from err
