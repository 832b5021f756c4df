"""IngestService over real gRPC: start, watch, idempotency, cancel, one ingest per workspace
across two servers sharing PostgreSQL, and the skip list of an awkward workspace."""

from __future__ import annotations

import os

import grpc
import pytest

from knowport.v1 import ingest_service_pb2 as pb
from knowport.v1 import lock_service_pb2 as lock_pb
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, two_servers_on_postgres
from tests.support.ingest_jobs import finished_job, job_until

FINISHED = {pb.INGEST_JOB_STATE_SUCCEEDED, pb.INGEST_JOB_STATE_FAILED,
            pb.INGEST_JOB_STATE_CANCELLED}


def small_repo(root, files: int = 30):
    for i in range(files):
        (root / f"m{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    return root


async def watch_to_end(server, job_id: str) -> list[pb.IngestJob]:
    seen = []
    async for update in server.ingest.WatchIngestJob(pb.WatchIngestJobRequest(job_id=job_id)):
        seen.append(update.job)
    return seen


async def test_start_watch_and_request_id_idempotency(tmp_path):
    async with running_server(MemoryStorage(), small_repo(tmp_path)) as server:
        started = await server.ingest.StartIngest(pb.StartIngestRequest(request_id="r-1"))
        assert not started.joined
        snapshots = await watch_to_end(server, started.job.job_id)
        final = snapshots[-1]
        assert final.state == pb.INGEST_JOB_STATE_SUCCEEDED
        assert final.progress.files_persisted == 30 and final.finish_time.seconds > 0
        assert all(s.state not in FINISHED for s in snapshots[:-1])

        again = await server.ingest.StartIngest(pb.StartIngestRequest(request_id="r-1"))
        assert again.joined and again.job.job_id == started.job.job_id

        second = await server.ingest.StartIngest(pb.StartIngestRequest())
        final = (await watch_to_end(server, second.job.job_id))[-1]
        assert final.progress.files_unchanged == 30 and final.progress.files_persisted == 0
        stats = await server.ingest.GetStats(pb.GetStatsRequest())
        assert (stats.files, stats.chunks) == (30, 30) and stats.languages[0].language == "python"


async def test_cancel_stops_a_running_job_and_keeps_the_index_consistent(tmp_path, llm):
    llm.reset()
    llm.delay = 0.2  # slow model: the job is still running when the cancel arrives
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m", "LLM_CONCURRENCY": "1"}
    async with running_server(MemoryStorage(), small_repo(tmp_path), **env) as server:
        started = await server.ingest.StartIngest(pb.StartIngestRequest())
        cancelled = await server.ingest.CancelIngestJob(
            pb.CancelIngestJobRequest(job_id=started.job.job_id))
        assert cancelled.job.job_id == started.job.job_id
        final = (await watch_to_end(server, started.job.job_id))[-1]
        assert final.state == pb.INGEST_JOB_STATE_CANCELLED
        assert final.progress.files_persisted < 30
        stats = await server.ingest.GetStats(pb.GetStatsRequest())
        assert stats.files == final.progress.files_persisted  # each file whole, or absent
    llm.delay = 0.0


async def test_two_servers_on_one_postgres_never_run_two_ingests(tmp_path, pg_dsn, llm):
    llm.reset()
    llm.delay = 0.05
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m", "LLM_CONCURRENCY": "2"}
    try:
        servers = two_servers_on_postgres(pg_dsn, small_repo(tmp_path), **env)
        async with servers as (first, second):
            a = await first.ingest.StartIngest(pb.StartIngestRequest())
            b = await second.ingest.StartIngest(pb.StartIngestRequest())
            assert not a.joined and b.joined and b.job.job_id == a.job.job_id
            # The second server follows the first one's job through the shared database.
            final = (await watch_to_end(second, a.job.job_id))[-1]
            assert final.state == pb.INGEST_JOB_STATE_SUCCEEDED
            jobs = await second.ingest.ListIngestJobs(pb.ListIngestJobsRequest())
            assert [j.job_id for j in jobs.jobs] == [a.job.job_id]
    finally:
        llm.delay = 0.0


def layer_rows(reply) -> dict[str, pb.LayerProgress]:
    return {layer.layer: layer for layer in reply.layers}


async def test_a_server_shows_the_layers_of_a_job_another_server_runs(tmp_path, pg_dsn, llm):
    llm.reset()
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m"}
    servers = two_servers_on_postgres(pg_dsn, small_repo(tmp_path, files=6), **env)
    async with servers as (runner, viewer):
        held = await runner.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(
            holder="agent-7", ttl_seconds=120))
        job_id = (await runner.ingest.StartIngest(pb.StartIngestRequest())).job.job_id
        # The runner's saved snapshot says the job waits for the lock.
        await job_until(viewer, job_id, lambda j: j.state == pb.INGEST_JOB_STATE_PAUSED)

        seen = layer_rows(await viewer.ingest.GetStats(pb.GetStatsRequest()))
        own = layer_rows(await runner.ingest.GetStats(pb.GetStatsRequest()))
        assert seen["structure"].files_done == 6 and seen["descriptions"].files_done == 0
        waiting = seen["descriptions"].waiting_reason
        assert waiting.startswith("paused: LLM locked by agent-7 until "), seen
        assert waiting == own["descriptions"].waiting_reason
        assert seen["descriptions"].eta_seconds < 0  # nothing described yet: unknown
        assert seen["structure"].waiting_reason == ""

        await runner.lock.ReleaseLlmLock(lock_pb.ReleaseLlmLockRequest(lease_id=held.lease_id))
        final = await finished_job(viewer, job_id)
        assert final.state == pb.INGEST_JOB_STATE_SUCCEEDED, final.message
        done = layer_rows(await viewer.ingest.GetStats(pb.GetStatsRequest()))
        assert done["descriptions"].files_done == 6
        assert all(row.waiting_reason == "" for row in done.values())


def awkward_workspace(root):
    (root / "src").mkdir()
    (root / "src" / "ok.py").write_text("def ok():\n    return 1\n")
    (root / "src" / "latin1.py").write_bytes(b"# caf\xe9\ndef f():\n    return 2\n")
    (root / ".env").write_text("TOKEN=secret\n")
    (root / "server.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (root / "id_rsa").write_text("key\n")
    (root / "blob.dat").write_bytes(b"abc\x00def")
    (root / "big.txt").write_text("x" * 5000)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "lib.js").write_text("var a;\n")
    (root / ".gitignore").write_text("ignored.py\n")
    (root / "ignored.py").write_text("x = 1\n")
    os.symlink("/etc/hostname", root / "outside")
    os.symlink("missing-target", root / "dangling")
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "up")
    name = os.fsencode(str(root)) + b"/caf\xe9.py"
    with open(name, "wb") as handle:
        handle.write(b"def name():\n    return 3\n")
    return root


async def test_every_awkward_file_is_indexed_or_skipped_with_a_reason(tmp_path):
    repo = awkward_workspace(tmp_path)
    async with running_server(MemoryStorage(), repo, INGEST_MAX_FILE_BYTES="4096") as server:
        started = await server.ingest.StartIngest(pb.StartIngestRequest())
        final = (await watch_to_end(server, started.job.job_id))[-1]
        assert final.state == pb.INGEST_JOB_STATE_SUCCEEDED, final.message
        listed = await server.ingest.ListSkippedFiles(
            pb.ListSkippedFilesRequest(job_id=final.job_id))
        indexed = {f.path for f in await server.storage.list_files(server.workspace.id)}
    reasons = {s.path: s.reason for s in listed.skipped_files}
    expected = {".env": "secret", "server.pem": "secret", "id_rsa": "secret",
                "blob.dat": "binary", "big.txt": "larger", "node_modules/": "folder",
                "outside": "outside the workspace", "dangling": "broken symlink",
                "loop/up": "loop"}
    for path, words in expected.items():
        assert words in reasons.get(path, ""), (path, reasons)
    assert "ignored.py" not in reasons  # .gitignore'd files are not the project's: silent
    assert indexed == {"src/ok.py", "src/latin1.py", "caf\\xe9.py", ".gitignore"}
    assert final.progress.files_skipped == len(reasons)


async def test_bad_ingest_requests(tmp_path):
    async with running_server(MemoryStorage(), tmp_path) as server:
        for call, code in [
            (server.ingest.CancelIngestJob(pb.CancelIngestJobRequest(job_id="nope")),
             grpc.StatusCode.NOT_FOUND),
            (server.ingest.CancelIngestJob(pb.CancelIngestJobRequest()),
             grpc.StatusCode.INVALID_ARGUMENT),
            (server.ingest.StartIngest(pb.StartIngestRequest(request_id="r" * 200)),
             grpc.StatusCode.INVALID_ARGUMENT),
            (server.ingest.StartIngest(pb.StartIngestRequest(workspace="elsewhere")),
             grpc.StatusCode.NOT_FOUND),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == code
