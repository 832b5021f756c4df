"""Kill `knowport ingest --local` with SIGKILL in each stage, run it again, and compare the
index with the one a clean run builds: the same, to the last description and embedding."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from services.storage.postgres.adapter import PostgresStorage
from tests.support.index_state import index_state
from tests.support.openai_server import OpenAIServer
from tests.support.process import tool

FILES = 60
STALE_SECONDS = 1.0


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


async def index_state_of(dsn: str) -> dict:
    storage = PostgresStorage(dsn)
    await storage.open()
    try:
        (workspace,) = await storage.list_workspaces()
        return await index_state(storage, workspace.id)
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


# Each trigger fires while the pipeline is inside one stage.
TRIGGERS: dict[str, Callable[[str, OpenAIServer], bool]] = {
    # The job is claimed and the scan/parse has begun; no model request yet.
    "scan-parse": lambda dsn, llm: _jobs(dsn) > 0,
    # Descriptions are being written; nothing can be persisted before its file is enriched.
    "enrich": lambda dsn, llm: llm.count("/chat/completions") >= 40,
    "embed": lambda dsn, llm: llm.count("/embeddings") >= 1,
    # Some files are in, most are not.
    "persist": lambda dsn, llm: _files(dsn) >= FILES // 3,
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
    persisted = _files(dsn)
    assert persisted < FILES + 1, "the kill came after the run had finished"
    llm.reset()
    time.sleep(STALE_SECONDS)  # the killed run's heartbeat goes stale; the rerun takes over
    run_to_end(env)
    assert asyncio.run(index_state_of(dsn)) == clean_state
