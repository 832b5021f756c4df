"""Embedded PostgreSQL servers for tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.storage.postgres.embedded import EmbeddedPostgres


@contextmanager
def temporary_postgres(name: str) -> Iterator[EmbeddedPostgres]:
    """A running embedded server in a new folder, stopped and deleted afterwards.

    The folder is not under pytest's tmp_path: as root the server runs as another user, and
    every pytest session that starts (another one in parallel, too) makes pytest's base temp
    folder private again (mode 0700), cutting that user off from its own data directory.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"knowport-{name}-"))
    server = EmbeddedPostgres(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
