"""Chooses and starts the storage backend the settings ask for.

The only module besides tests that imports concrete storage adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.config.storage import StorageSettings
from services.domain.errors import StorageUnavailable
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then 30 s between tries


@asynccontextmanager
async def open_storage(settings: StorageSettings,
                       data_dir: Path) -> AsyncIterator[tuple[Storage, str]]:
    """Yield (storage, a one-line description of where it lives), closed on exit."""
    if settings.storage_type == "memory":
        storage: Storage = MemoryStorage()
        where, embedded = "memory (nothing kept after exit)", None
    elif dsn := settings.external_dsn():
        storage = PostgresStorage(dsn, max_size=settings.postgres_pool_size)
        where, embedded = "postgres (external)", None
    else:
        pg_dir = data_dir / "postgres"
        embedded = EmbeddedPostgres(pg_dir)
        dsn = await asyncio.to_thread(embedded.start)
        storage = PostgresStorage(dsn, max_size=settings.postgres_pool_size)
        where = f"postgres (embedded, data in {pg_dir})"
    keeper = None if embedded is None else asyncio.create_task(
        keep_running(embedded), name="embedded-postgres-keeper")
    try:
        try:
            await storage.open()
        except StorageUnavailable as err:  # it may come up later: health reports it meanwhile
            log.warning("storage not ready at start: %s", err)
        yield storage, where
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await storage.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


async def keep_running(embedded: EmbeddedPostgres,
                       check_every: float = CHECK_EVERY_SECONDS) -> None:
    """Start the embedded server again whenever it has died (a killed postmaster, a crash on a
    full disk), retrying with backoff while it cannot start. The pool reconnects by itself and
    health follows storage, so the server serves again without a restart of its own."""
    failures = 0
    while True:
        delay = check_every if failures == 0 else RESTART_BACKOFF_SECONDS[
            min(failures, len(RESTART_BACKOFF_SECONDS)) - 1]
        await asyncio.sleep(delay)
        if await asyncio.to_thread(lambda: embedded.running):
            failures = 0
            continue
        try:
            if await asyncio.to_thread(embedded.ensure_running):
                log.warning("embedded PostgreSQL in %s had stopped; started it again",
                            embedded.pgdata)
            failures = 0
        except Exception as err:  # keep trying: the cause (a full disk, say) may pass
            failures += 1
            log.warning("embedded PostgreSQL in %s is down and could not be started "
                        "(attempt %d): %s", embedded.pgdata, failures, err)
