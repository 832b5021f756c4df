"""PostgreSQL is killed hard in the middle of an ingest and started again.

The server lives through it: health goes NOT_SERVING and comes back to SERVING on the same
server object, the interrupted job is recorded as failed, and the next ingest leaves exactly
the index one clean run builds, with no file lost and no chunk lost or duplicated. A server
stopped while PostgreSQL is still down stops promptly all the same.

The tests kill their own embedded server, never the session's shared one.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import psutil
import pytest

from knowport.v1 import ingest_service_pb2 as ingest_pb
from services.domain.models import Layer
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import running_server, settings_for
from tests.support.health import NOT_SERVING, SERVING, wait_for_health
from tests.support.index_state import index_state
from tests.support.ingest_jobs import finished_job
from tests.support.openai_server import OpenAIServer
from tests.support.postgres import temporary_postgres
from tests.support.workspaces import index, write_files

pytestmark = pytest.mark.postgres

FILES = 60
# Each model answer takes this long during a run to be killed: the ingest then takes seconds,
# so the kill lands in the middle of it.
MODEL_DELAY = 0.05


def module_source(i: int) -> str:
    return (f'"""Module {i}."""\n\n\ndef load_{i}(path):\n    return open(path).read()\n\n\n'
            f"class Store{i}:\n    def put(self, key, value):\n        self.data[key] = value\n"
            f"\n    def get(self, key):\n        return self.data.get(key, {i})\n")


def make_workspace(root: Path) -> Path:
    files = {f"pkg{i % 6}/module_{i}.py": module_source(i) for i in range(FILES)}
    return write_files(root, {**files, "README.md": "# Demo\n\nSixty modules.\n"})


def model_env(llm: OpenAIServer) -> dict[str, str]:
    """Enrichment and embeddings through the test OpenAI server."""
    return {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat",
            "EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "test-embed",
            "EMBEDDING_BATCH_SIZE": "16"}


def kill_hard(pg: EmbeddedPostgres) -> None:
    """SIGKILL the postmaster and every backend at once, as the OOM killer or a dying
    container would: no shutdown checkpoint, open transactions simply vanish."""
    pid = int((pg.pgdata / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    processes = [postmaster, *postmaster.children(recursive=True)]
    for process in processes:
        process.send_signal(signal.SIGKILL)
    psutil.wait_procs(processes, timeout=10)
    assert not pg.running


@asynccontextmanager
async def opened(dsn: str) -> AsyncIterator[PostgresStorage]:
    storage = PostgresStorage(dsn, connect_timeout=2, command_timeout=5)
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()


async def new_job(server) -> ingest_pb.IngestJob:
    """A new ingest job, never one joined: a job that failed is recorded as over, not left
    "running" until its heartbeat goes stale (15 s by default) and blocks new ones meanwhile."""
    reply = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
    assert not reply.joined, f"joined {reply.job.state} job {reply.job.job_id}"
    return reply.job


async def wait_until_done(server, job_id: str, layer: Layer, files: int) -> None:
    """Until the running job has committed `layer` of `files` files (read live, in this
    process)."""
    progress = server.running.ingestion.jobs.progress_of(job_id)
    async with asyncio.timeout(60):
        while progress.layers[layer].done < files:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def own_pg() -> Iterator[EmbeddedPostgres]:
    with temporary_postgres("kill-ingest") as server:
        yield server


@pytest.fixture
def pg(own_pg: EmbeddedPostgres) -> EmbeddedPostgres:
    own_pg.start()  # in case a failed test left it killed
    return own_pg


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def expected(own_pg, llm, workspace) -> dict:
    """The index one clean run builds."""
    async def build() -> dict:
        llm.reset()
        async with opened(own_pg.create_database("reference")) as reference:
            ref_workspace, _ = await index(settings_for(workspace, **model_env(llm)), reference)
            return await index_state(reference, ref_workspace.id)

    own_pg.start()
    state = asyncio.run(build())
    assert len(state) == FILES + 1
    return state


@pytest.mark.parametrize("layer", list(Layer))
async def test_postgres_killed_mid_ingest_then_restarted(pg, llm, workspace, expected, layer):
    env = model_env(llm)
    llm.reset()
    llm.delay = MODEL_DELAY
    async with opened(pg.create_database(f"killed_{layer}")) as storage, \
            running_server(storage, workspace, **env) as server:
        await wait_for_health(server, SERVING)
        job = await new_job(server)
        await wait_until_done(server, job.job_id, layer, FILES // 3)

        await asyncio.to_thread(kill_hard, pg)
        await wait_for_health(server, NOT_SERVING)

        await asyncio.to_thread(pg.start)  # same data folder; crash recovery runs
        await wait_for_health(server, SERVING)  # the same server, never restarted
        interrupted = await finished_job(server, job.job_id)
        assert interrupted.state == ingest_pb.INGEST_JOB_STATE_FAILED, interrupted
        assert "a new ingest resumes" in interrupted.message, interrupted.message
        described = {x.layer: x.files_done for x in interrupted.progress.layers}
        assert described["descriptions"] < FILES + 1, "the kill came too late"

        llm.delay = 0.0
        rerun = await finished_job(server, (await new_job(server)).job_id)
        assert rerun.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED, rerun.message
        # It resumed: files committed well before the kill are not done again. (Not all of
        # them: files commit without waiting for the WAL flush, by design, so the last
        # ~200 ms of commits may be lost; the rerun redoes those, as the equality shows. The
        # structure of all 61 files takes less than that, so a kill in that layer may lose
        # all of it.)
        if layer is not Layer.STRUCTURE:
            assert rerun.progress.files_unchanged > 0, rerun.progress

        assert await index_state(storage, server.workspace.id) == expected
        stats = await server.ingest.GetStats(ingest_pb.GetStatsRequest())
        assert (stats.files, stats.chunks) == (
            len(expected), sum(len(chunks) for _, _, chunks, _ in expected.values()))


async def test_a_server_stopped_while_postgres_is_down_stops_promptly(pg, llm, tmp_path):
    """A job that ends while storage is down waits for storage to record its end, but not
    past a shutdown."""
    # One small file: its few LLM requests all stall at once, and with them in flight the
    # job touches no storage, so the shutdown, not the outage, is what ends it.
    workspace = write_files(tmp_path, {"one.py": module_source(1)})
    llm.reset()
    llm.stall_next(1000, seconds=20)
    async with opened(pg.create_database("down_at_stop")) as storage:
        # A shutdown that waited for storage to record the job's end would hang here.
        async with asyncio.timeout(15):
            async with running_server(storage, workspace, **model_env(llm)) as server:
                await new_job(server)
                while llm.in_flight == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(kill_hard, pg)
                await wait_for_health(server, NOT_SERVING)
