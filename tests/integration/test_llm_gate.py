"""The pipeline's LLM gate against a real OpenAI-compatible server that logs when each request
starts: nothing starts while an agent holds the LLM lock, and work resumes within a second of
its release or its expiry — also when the lock is taken through another server process."""

from __future__ import annotations

import asyncio
import time

import grpc

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import lock_service_pb2 as lock_pb
from knowport.v1 import lock_service_pb2_grpc
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import running_server
from tests.support.openai_server import OpenAIServer
from tests.support.process import start_serve

# A request that passed the gate an instant before the acquire committed reaches the server
# this much later at most (see services/llm_lock/gate.py: in-flight requests may finish).
IN_FLIGHT_SLACK = 0.05


def repo(root, files: int = 12):
    for i in range(files):
        (root / f"m{i}.py").write_text(f"def f{i}(x):\n    return x * {i}\n\n\n"
                                       f"def g{i}(y):\n    return y - {i}\n")
    return root


def model_env(llm: OpenAIServer) -> dict[str, str]:
    return {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m", "LLM_CONCURRENCY": "2",
            "EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "e"}


def starts(llm: OpenAIServer) -> list[float]:
    return sorted(r.started for r in llm.requests)


async def watch_to_end(server, job_id: str) -> list[ingest_pb.IngestJob]:
    stream = server.ingest.WatchIngestJob(ingest_pb.WatchIngestJobRequest(job_id=job_id))
    return [update.job async for update in stream]


async def test_nothing_starts_while_held_and_work_resumes_within_a_second_of_release(
        tmp_path, llm):
    llm.reset()
    llm.delay = 0.02
    async with running_server(MemoryStorage(), repo(tmp_path), **model_env(llm)) as server:
        held = await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(
            holder="agent-7", ttl_seconds=60))
        acquired_at = time.monotonic()
        started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
        watch = asyncio.ensure_future(watch_to_end(server, started.job.job_id))
        await asyncio.sleep(1.5)
        assert llm.count() == 0, "a model request started while the lock was held"
        job = (await server.ingest.GetIngestJob(ingest_pb.GetIngestJobRequest(
            job_id=started.job.job_id))).job
        assert job.state == ingest_pb.INGEST_JOB_STATE_PAUSED
        assert job.progress.paused_reason.startswith("paused: LLM locked by agent-7 until ")

        releasing_at = time.monotonic()  # the release commits after this, before the reply
        await server.lock.ReleaseLlmLock(lock_pb.ReleaseLlmLockRequest(lease_id=held.lease_id))
        released_at = time.monotonic()
        final = (await watch)[-1]
    assert final.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED
    first = starts(llm)[0]
    assert acquired_at < releasing_at <= first < released_at + 1.0


async def test_work_resumes_within_a_second_of_the_ttl_expiry(tmp_path, llm):
    llm.reset()
    async with running_server(MemoryStorage(), repo(tmp_path), **model_env(llm)) as server:
        await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(holder="crashed-agent",
                                                                       ttl_seconds=2))
        expires_at = time.monotonic() + 2
        started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
        final = (await watch_to_end(server, started.job.job_id))[-1]
    assert final.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED
    first = starts(llm)[0]
    assert expires_at - 0.1 <= first < expires_at + 1.0


async def test_a_lock_taken_mid_run_stops_new_requests_at_once(tmp_path, llm):
    llm.reset()
    llm.delay = 0.05  # a slow model: the run is long enough to interrupt
    async with running_server(MemoryStorage(), repo(tmp_path, files=30),
                              **model_env(llm)) as server:
        started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
        # The count lives in the test server's thread; there is no event to await.
        while llm.count() < 5:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        held = await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(
            holder="agent", ttl_seconds=60))
        acquired_at = time.monotonic()
        await asyncio.sleep(1.0)
        during = [t for t in starts(llm) if t > acquired_at + IN_FLIGHT_SLACK]
        assert during == [], f"{len(during)} requests started while the lock was held"
        releasing_at = time.monotonic()
        await server.lock.ReleaseLlmLock(lock_pb.ReleaseLlmLockRequest(lease_id=held.lease_id))
        released_at = time.monotonic()
        final = (await watch_to_end(server, started.job.job_id))[-1]
    assert final.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED
    later = [t for t in starts(llm) if t > acquired_at + IN_FLIGHT_SLACK]
    assert later and releasing_at <= later[0] < released_at + 1.0
    llm.delay = 0.0


async def test_a_lock_taken_through_another_server_process_blocks_this_pipeline(
        tmp_path, pg_dsn, llm):
    llm.reset()
    (tmp_path / "ws").mkdir()
    workspace = repo(tmp_path / "ws")
    other = start_serve({"POSTGRES_DSN": pg_dsn, "WORKSPACE": str(workspace),
                         "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none"})
    storage = PostgresStorage(pg_dsn)
    await storage.open()
    try:
        async with running_server(storage, workspace, **model_env(llm)) as server:
            async with grpc.aio.insecure_channel(other.address) as channel:
                remote = lock_service_pb2_grpc.LockServiceStub(channel)
                held = await remote.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(
                    holder="agent-elsewhere", ttl_seconds=60))
                assert held.acquired
                started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
                await asyncio.sleep(1.5)
                assert llm.count() == 0
                local_view = (await server.lock.GetLlmLock(lock_pb.GetLlmLockRequest())).lock
                assert local_view.holder == "agent-elsewhere"
                releasing_at = time.monotonic()
                await remote.ReleaseLlmLock(lock_pb.ReleaseLlmLockRequest(
                    lease_id=held.lease_id))
                released_at = time.monotonic()
            final = (await watch_to_end(server, started.job.job_id))[-1]
        assert final.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED
        # Woken by the other process's NOTIFY, not by a slow poll.
        assert releasing_at <= starts(llm)[0] < released_at + 1.0
    finally:
        await storage.close()
        assert other.stop() == 0
