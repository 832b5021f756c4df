"""Kill `knowport ingest --local` with SIGKILL in each stage and in each layer (structure,
vectors, descriptions), run it again, and compare the index with the one a clean run builds:
the same, to the last description, embedding and layer mark. And
kill `knowport serve` mid-ingest and start it again at once, as a supervisor does: the new
process takes the dead job over at once and completes the index."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from services.domain.models import workspace_id_for
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.index_state import index_state
from tests.support.openai_server import OpenAIServer
from tests.support.process import start_serve, tool

FILES = 60
# Far beyond every wait here: a rerun takes a killed run's job over because its process is
# gone, not because its heartbeat went stale.
STALE_SECONDS = 600


def make_workspace(root: Path) -> Path:
    for i in range(FILES):
        package = root / f"pkg{i % 6}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"module_{i}.py").write_text(
            f'"""Module {i}."""\n\n\ndef load_{i}(path):\n    return open(path).read()\n\n\n'
            f"class Store{i}:\n    def put(self, key, value):\n        self.data[key] = value\n"
            f"\n    def get(self, key):\n        return self.data.get(key, {i})\n")
    (root / "README.md").write_text("# Demo\n\nSixty modules.\n")
    return root


def env_for(workspace: Path, dsn: str, llm: OpenAIServer, data: Path) -> dict[str, str]:
    return {**os.environ, "WORKSPACE": str(workspace), "POSTGRES_DSN": dsn,
            "KNOWPORT_DATA_DIR": str(data), "OPENAI_API_BASE": llm.base_url,
            "LLM_MODEL": "test-chat", "EMBEDDING_BACKEND": "openai",
            "EMBEDDING_MODEL": "test-embed", "EMBEDDING_BATCH_SIZE": "16",
            "LLM_CONCURRENCY": "8", "INGEST_STALE_AFTER_SECONDS": str(STALE_SECONDS)}


def ingest(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([tool("knowport"), "ingest", "--local", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_to_end(env: dict[str, str]) -> None:
    proc = ingest(env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"{out}\n{err}"


async def index_state_of(dsn: str, workspace_id: str = "") -> dict:
    """The index of `workspace_id`, by default of the one workspace registered."""
    storage = PostgresStorage(dsn)
    await storage.open()
    try:
        if not workspace_id:
            (workspace,) = await storage.list_workspaces()
            workspace_id = workspace.id
        return await index_state(storage, workspace_id)
    finally:
        await storage.close()


async def count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    except asyncpg.UndefinedTableError:  # the run has not applied its migrations yet
        return 0
    finally:
        await conn.close()


def wait_until(check: Callable[[], bool], proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while not check():
        assert proc.poll() is None, f"the ingest ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def clean_state(embedded_pg, workspace, llm, tmp_path_factory):
    dsn = embedded_pg.create_database("clean_run")
    run_to_end(env_for(workspace, dsn, llm, tmp_path_factory.mktemp("data")))
    state = asyncio.run(index_state_of(dsn))
    assert len(state) == FILES + 1
    return state


def _files(dsn: str) -> int:
    return asyncio.run(count(dsn, "SELECT count(*) FROM files"))


def _jobs(dsn: str) -> int:
    return asyncio.run(count(dsn, "SELECT count(*) FROM ingest_jobs"))


def _with_layer(dsn: str, layer: str) -> int:
    return asyncio.run(count(dsn, f"SELECT count(*) FROM files WHERE '{layer}' = ANY(layers)"))


def _complete(dsn: str) -> int:
    return asyncio.run(count(dsn, "SELECT count(*) FROM files WHERE layers @> "
                                  "ARRAY['structure', 'vectors', 'descriptions']"))


# Each trigger fires while the pipeline is inside one stage or layer.
TRIGGERS: dict[str, Callable[[str, OpenAIServer], bool]] = {
    # The job is claimed and the scan/parse has begun; no model request yet.
    "scan-parse": lambda dsn, llm: _jobs(dsn) > 0,
    # Some files are stored (searchable lexically), most are not.
    "structure": lambda dsn, llm: _files(dsn) >= FILES // 3,
    # Some files have their vectors stored in place, most do not.
    "vectors": lambda dsn, llm: _with_layer(dsn, "vectors") >= FILES // 3,
    # Descriptions are being written by the LLM.
    "enrich": lambda dsn, llm: llm.count("/chat/completions") >= 40,
    # Some files are described (and re-embedded), most are not.
    "descriptions": lambda dsn, llm: _with_layer(dsn, "descriptions") >= FILES // 3,
}


@pytest.mark.parametrize("stage", list(TRIGGERS))
def test_sigkill_in_any_stage_then_rerun_equals_a_clean_run(stage, embedded_pg, workspace, llm,
                                                            clean_state, tmp_path):
    dsn = embedded_pg.create_database(f"killed_{stage.replace('-', '_')}")
    env = env_for(workspace, dsn, llm, tmp_path)
    llm.reset()
    llm.delay = 0.01  # spreads the run out so each trigger lands inside its stage
    proc = ingest(env)
    try:
        wait_until(lambda: TRIGGERS[stage](dsn, llm), proc, stage)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _complete(dsn) < FILES + 1, "the kill came after the run had finished"
    llm.reset()
    run_to_end(env)  # at once: the killed run's job has no owner any more
    assert asyncio.run(index_state_of(dsn)) == clean_state


def _latest_job(dsn: str) -> tuple[str, str] | None:
    async def read() -> tuple[str, str] | None:
        conn = await asyncpg.connect(dsn)
        try:
            row = await conn.fetchrow("SELECT state, message FROM ingest_jobs "
                                      "ORDER BY created_at DESC LIMIT 1")
            return None if row is None else (row["state"], row["message"])
        except asyncpg.UndefinedTableError:
            return None
        finally:
            await conn.close()
    return asyncio.run(read())


def test_serve_killed_mid_ingest_and_restarted_at_once_completes_the_index(
        workspace, llm, clean_state):
    # Not under pytest's tmp_path: see tests/support/postgres.py.
    data = Path(tempfile.mkdtemp(prefix="knowport-restart-"))
    env = {**env_for(workspace, "", llm, data), "STORAGE_TYPE": "postgres"}
    del env["POSTGRES_DSN"]  # the embedded server of the data folder
    llm.reset()
    llm.delay = 0.01  # keeps the first server's ingest running until it is killed
    first = start_serve(env)
    # Attached too, so the test can read the index whichever server runs.
    database = EmbeddedPostgres(data / "postgres")
    try:
        dsn = database.start()
        wait_until(lambda: _with_layer(dsn, "descriptions") >= FILES // 3, first.proc,
                   "a third of the files described")
        first.proc.kill()
        first.proc.wait(30)
        assert _complete(dsn) < FILES + 1, "the kill came after the ingest had finished"
        assert _latest_job(dsn)[0] == "running"
        llm.reset()
        second = start_serve(env)
        try:
            wait_until(lambda: (_latest_job(dsn) or ("", ""))[0] == "succeeded", second.proc,
                       "the restarted server's ingest succeeded")
            state = asyncio.run(index_state_of(dsn, workspace_id_for(str(workspace))))
            assert state == clean_state
            killed = asyncio.run(count(dsn, "SELECT count(*) FROM ingest_jobs WHERE "
                                            "state = 'failed' AND message LIKE 'interrupted%'"))
            assert killed == 1, "the killed server's job is recorded as interrupted"
        finally:
            assert second.stop() == 0, "".join(second.output)
    finally:
        first.stop(signal.SIGKILL)
        database.stop()
        shutil.rmtree(data, ignore_errors=True)
