"""The server process's promises, against a real grpc.aio server on a real port."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import ingest_service_pb2_grpc
from knowport.v1 import knowledge_service_pb2 as knowledge_pb
from knowport.v1 import lock_service_pb2 as lock_pb
from services.domain.models import IngestJob, JobState, Workspace
from services.server.app import start_server, stop_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for

SERVING = health_pb2.HealthCheckResponse.SERVING
SERVICES = ["knowport.v1.IngestService", "knowport.v1.LockService",
            "knowport.v1.KnowledgeService"]


@pytest.fixture
async def server(tmp_path):
    async with running_server(MemoryStorage(), tmp_path) as handle:
        yield handle


async def _code(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


async def test_health_overall_and_per_service(server):
    for name in ["", *SERVICES]:
        reply = await server.health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == SERVING, name
    err = await _code(server.health.Check(health_pb2.HealthCheckRequest(service="bogus")))
    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_stats_of_the_default_workspace(server):
    reply = await server.ingest.GetStats(ingest_pb.GetStatsRequest())
    assert reply.workspace == server.workspace.id
    assert reply.storage_backend == "memory"
    assert (reply.files, reply.chunks) == (0, 0)


async def test_knowledge_answers_over_an_empty_index(server):
    found = await server.knowledge.Search(knowledge_pb.SearchRequest(query="x"))
    assert list(found.hits) == [] and not found.next_page_token
    assert found.effective_mode == knowledge_pb.SEARCH_MODE_LEXICAL  # no embedder here
    assert any("answered lexically" in n for n in found.notices)
    overview = await server.knowledge.GetOverview(knowledge_pb.GetOverviewRequest())
    assert overview.workspace == server.workspace.id and not overview.truncated
    err = await _code(server.knowledge.GetFileContext(
        knowledge_pb.GetFileContextRequest(path="a.py")))
    assert err.code() == grpc.StatusCode.NOT_FOUND and "a.py" in err.details()


@pytest.mark.parametrize("call, code, words", [
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(query="x", mode=99)),
     grpc.StatusCode.INVALID_ARGUMENT, "mode has no value 99"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(
        query="x", filter=knowledge_pb.SearchFilter(kinds=[42]))),
     grpc.StatusCode.INVALID_ARGUMENT, "filter.kinds has no value 42"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(query="")),
     grpc.StatusCode.INVALID_ARGUMENT, "query is required"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(query="x", page_size=-1)),
     grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative"),
    (lambda s: s.ingest.ListIngestJobs(ingest_pb.ListIngestJobsRequest(page_size=-5)),
     grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative"),
    (lambda s: s.ingest.StartIngest(ingest_pb.StartIngestRequest(mode=7)),
     grpc.StatusCode.INVALID_ARGUMENT, "mode has no value 7"),
    (lambda s: s.ingest.GetStats(ingest_pb.GetStatsRequest(workspace="nope")),
     grpc.StatusCode.NOT_FOUND, "unknown workspace 'nope'"),
    (lambda s: s.knowledge.GetOverview(knowledge_pb.GetOverviewRequest(workspace="nope")),
     grpc.StatusCode.NOT_FOUND, "unknown workspace"),
    (lambda s: s.ingest.GetIngestJob(ingest_pb.GetIngestJobRequest(job_id="missing")),
     grpc.StatusCode.NOT_FOUND, "no ingest job 'missing'"),
    (lambda s: s.ingest.ListIngestJobs(ingest_pb.ListIngestJobsRequest(page_token="garbage")),
     grpc.StatusCode.INVALID_ARGUMENT, "page_token"),
    (lambda s: s.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(holder="a",
                                                                   ttl_seconds=99999)),
     grpc.StatusCode.INVALID_ARGUMENT, "ttl_seconds must be between 1 and 3600"),
    (lambda s: s.knowledge.GetFileContext(knowledge_pb.GetFileContextRequest(path="a\0b")),
     grpc.StatusCode.INVALID_ARGUMENT, "NUL"),
    (lambda s: s.ingest.GetIngestJob(ingest_pb.GetIngestJobRequest(job_id="j\0")),
     grpc.StatusCode.INVALID_ARGUMENT, "job_id contains a NUL character"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(
        query="x", filter=knowledge_pb.SearchFilter(languages=["py", "\0"]))),
     grpc.StatusCode.INVALID_ARGUMENT, "filter.languages contains a NUL character"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(
        query="x", filter=knowledge_pb.SearchFilter(path_glob="[z-a]"))),
     grpc.StatusCode.INVALID_ARGUMENT, "reversed range"),
    (lambda s: s.knowledge.Search(knowledge_pb.SearchRequest(query="x", page_token="junk!")),
     grpc.StatusCode.INVALID_ARGUMENT, "page_token"),
    (lambda s: s.knowledge.GetFileContext(knowledge_pb.GetFileContextRequest(
        path="a.py", start_line=-1)),
     grpc.StatusCode.INVALID_ARGUMENT, "start_line must not be negative"),
])
async def test_bad_input_gets_the_right_status_and_a_readable_message(server, call, code, words):
    err = await _code(call(server))
    assert err.code() == code
    assert words in err.details()
    reply = await server.health.Check(health_pb2.HealthCheckRequest())
    assert reply.status == SERVING


async def test_errors_carry_error_info(server):
    err = await _code(server.ingest.GetStats(ingest_pb.GetStatsRequest(workspace="nope")))
    status = rpc_status.from_call(err)
    assert status is not None and status.code == grpc.StatusCode.NOT_FOUND.value[0]
    from google.rpc import error_details_pb2

    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert (info.reason, info.domain, info.metadata["workspace"]) == (
        "WORKSPACE_NOT_FOUND", "knowport", "nope")


async def test_oversize_request_is_rejected_and_server_keeps_serving(server):
    limit = server.settings.runtime.knowport_max_receive_bytes
    err = await _code(server.knowledge.Search(knowledge_pb.SearchRequest(query="x" * (limit + 1))))
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in err.details()
    reply = await server.health.Check(health_pb2.HealthCheckRequest())
    assert reply.status == SERVING


class _ExplodingStorage(MemoryStorage):
    """Storage with a fault injected: a bug, not an outage."""

    async def stats(self, workspace_id):
        raise RuntimeError("secret internal detail")


async def test_unexpected_errors_are_internal_with_a_generic_message(tmp_path, caplog):
    async with running_server(_ExplodingStorage(), tmp_path) as server:
        with caplog.at_level(logging.ERROR):
            err = await _code(server.ingest.GetStats(ingest_pb.GetStatsRequest()))
    assert err.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in err.details() and "server log" in err.details()
    assert any("secret internal detail" in r.getMessage() or
               (r.exc_info and "secret internal detail" in str(r.exc_info[1]))
               for r in caplog.records)


def _big_job(workspace_id: str) -> IngestJob:
    return IngestJob(id="job-big", workspace_id=workspace_id, full=True,
                     state=JobState.SUCCEEDED, created_at=datetime.now(UTC),
                     skipped=[(f"deep/{'x' * 200}/{i}.bin", "binary file") for i in range(20)])


async def test_budget_turns_oversized_unary_response_into_resource_exhausted(tmp_path):
    storage = MemoryStorage()
    async with running_server(storage, tmp_path, KNOWPORT_MAX_RESPONSE_BYTES="1024") as server:
        await storage.save_job(_big_job(server.workspace.id))
        err = await _code(server.ingest.GetIngestJob(ingest_pb.GetIngestJobRequest(
            job_id="job-big")))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "over the 1024-byte budget" in err.details() and "narrow" in err.details()
        # A small response on the same server still passes.
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).workspace


async def test_budget_turns_oversized_streamed_message_into_resource_exhausted(tmp_path):
    storage = MemoryStorage()
    async with running_server(storage, tmp_path, KNOWPORT_MAX_RESPONSE_BYTES="1024") as server:
        await storage.save_job(_big_job(server.workspace.id))
        stream = server.ingest.WatchIngestJob(ingest_pb.WatchIngestJobRequest(job_id="job-big"))
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stream:
                pass
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_watch_streams_a_finished_job_once(server):
    job = _big_job(server.workspace.id)
    job.skipped = job.skipped[:2]
    await server.storage.save_job(job)
    replies = [r async for r in server.ingest.WatchIngestJob(
        ingest_pb.WatchIngestJobRequest(job_id=job.id))]
    assert len(replies) == 1
    assert replies[0].job.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED
    assert [f.reason for f in replies[0].job.skipped_files] == ["binary file"] * 2


async def test_jobs_and_skipped_files_page(server):
    base = _big_job(server.workspace.id)
    for i in range(5):
        await server.storage.save_job(IngestJob(
            id=f"job-{i}", workspace_id=server.workspace.id, full=False,
            state=JobState.SUCCEEDED, created_at=datetime(2026, 1, 1, 0, i, tzinfo=UTC),
            skipped=base.skipped[:3]))
    seen, token = [], ""
    while True:
        page = await server.ingest.ListIngestJobs(
            ingest_pb.ListIngestJobsRequest(page_size=2, page_token=token))
        seen += [j.job_id for j in page.jobs]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"job-{i}" for i in reversed(range(5))]
    first = await server.ingest.ListSkippedFiles(
        ingest_pb.ListSkippedFilesRequest(job_id="job-0", page_size=2))
    rest = await server.ingest.ListSkippedFiles(ingest_pb.ListSkippedFilesRequest(
        job_id="job-0", page_size=2, page_token=first.next_page_token))
    assert len(first.skipped_files) == 2 and len(rest.skipped_files) == 1
    assert not rest.next_page_token
    err = await _code(server.ingest.ListSkippedFiles(ingest_pb.ListSkippedFilesRequest(
        job_id="job-1", page_token=first.next_page_token)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_access_log_records_method_status_bytes_latency(server, caplog):
    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "knowport.access"]

    with caplog.at_level(logging.INFO, logger="knowport.access"):
        await server.ingest.GetStats(ingest_pb.GetStatsRequest())
        await _code(server.ingest.GetStats(ingest_pb.GetStatsRequest(workspace="nope")))
        # An aborted call's status reaches the client before its handler's clean-up (where
        # the line is logged) has run; give the server's side a moment.
        async with asyncio.timeout(10):
            while not any("GetStats NOT_FOUND" in line for line in lines()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    ok = next(line for line in lines() if "GetStats OK" in line)
    assert "bytes=" in ok and "bytes=0 " not in ok and "latency_ms=" in ok


class _SlowStorage(MemoryStorage):
    """Storage with latency injected, to have a call in flight during shutdown."""

    async def stats(self, workspace_id):
        await asyncio.sleep(1.0)
        return await super().stats(workspace_id)


async def test_shutdown_goes_not_serving_first_and_lets_in_flight_calls_finish(tmp_path):
    settings = settings_for(tmp_path)
    running = await start_server(settings, _SlowStorage(), Workspace(id="ws", root=str(tmp_path)))
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        assert (await watch.read()).status == SERVING
        stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
        in_flight = asyncio.ensure_future(stub.GetStats(ingest_pb.GetStatsRequest()))
        await asyncio.sleep(0.2)  # the call is now inside the slow storage
        stopping = asyncio.ensure_future(stop_server(running, grace=5.0))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()  # an open watch would otherwise hold the server for the whole grace
        reply = await in_flight
        assert reply.workspace == "ws"
        await stopping
    finally:
        await channel.close()
