"""Chooses and starts the storage backend the settings ask for.

The only module besides tests that imports concrete storage adapters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.config.storage import StorageSettings
from services.domain.errors import StorageUnavailable
from services.storage.memory import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres

log = logging.getLogger(__name__)


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
    try:
        try:
            await storage.open()
        except StorageUnavailable as err:  # it may come up later: health reports it meanwhile
            log.warning("storage not ready at start: %s", err)
        yield storage, where
    finally:
        await storage.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
