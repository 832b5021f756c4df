"""IngestService over gRPC: converts messages, validates, and calls the job manager."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from grpc.aio import ServicerContext

from knowport.v1 import ingest_service_pb2 as pb
from knowport.v1 import ingest_service_pb2_grpc as pb_grpc
from services.domain import limits
from services.domain.errors import InvalidArgument, NotFound
from services.domain.models import IngestJob
from services.ingestor.jobs import IngestJobs
from services.ingestor.wire import job_to_proto, stats_to_proto
from services.rpc import paging
from services.rpc.requests import WorkspaceResolver, bounded_text, enum_value, page_size
from services.storage.port import Backend, Files, Jobs
from services.workspace_files.pick import relative_path


class _Records(Jobs, Files, Backend, Protocol):
    """What the ingest service reads itself: job records, index stats, the backend's name."""


def _paths(requested: Sequence[str], root: str) -> list[str] | None:
    """The request's paths, workspace-relative; None when it names none (the workspace)."""
    if not requested:
        return None
    if len(requested) > limits.INGEST_PATHS:
        raise InvalidArgument(f"paths names {len(requested)} paths; at most "
                              f"{limits.INGEST_PATHS} (start an ingest without paths instead)",
                              reason="TOO_MANY_PATHS", metadata={"field": "paths"})
    return [relative_path(bounded_text(path, "paths", max_bytes=limits.PATH_BYTES,
                                       required=True), root) for path in requested]


class IngestServicer(pb_grpc.IngestServiceServicer):
    def __init__(self, storage: _Records, workspaces: WorkspaceResolver,
                 jobs: IngestJobs) -> None:
        self._storage = storage
        self._workspaces = workspaces
        self._jobs = jobs

    async def _job(self, job_id: str) -> IngestJob:
        bounded_text(job_id, "job_id", max_bytes=limits.ID_BYTES, required=True)
        job = await self._storage.get_job(job_id)
        if job is None:
            raise NotFound(f"no ingest job {job_id!r}", reason="JOB_NOT_FOUND",
                           metadata={"job_id": job_id})
        return job

    async def StartIngest(self, request: pb.StartIngestRequest,
                          context: ServicerContext) -> pb.StartIngestResponse:
        mode = enum_value(request.mode, pb.IngestMode, "mode")
        request_id = bounded_text(request.request_id, "request_id", max_bytes=limits.ID_BYTES)
        workspace = await self._workspaces.resolve(request.workspace)
        job, joined = await self._jobs.start(workspace, full=mode == pb.INGEST_MODE_FULL,
                                             request_id=request_id,
                                             paths=_paths(request.paths, workspace.root))
        return pb.StartIngestResponse(job=job_to_proto(job), joined=joined)

    async def CancelIngestJob(self, request: pb.CancelIngestJobRequest,
                              context: ServicerContext) -> pb.CancelIngestJobResponse:
        bounded_text(request.job_id, "job_id", max_bytes=limits.ID_BYTES, required=True)
        return pb.CancelIngestJobResponse(job=job_to_proto(await self._jobs.cancel(request.job_id)))

    async def GetIngestJob(self, request: pb.GetIngestJobRequest,
                           context: ServicerContext) -> pb.GetIngestJobResponse:
        return pb.GetIngestJobResponse(job=job_to_proto(await self._job(request.job_id)))

    async def ListIngestJobs(self, request: pb.ListIngestJobsRequest,
                             context: ServicerContext) -> pb.ListIngestJobsResponse:
        size = page_size(request.page_size, limits.JOBS_PAGE)
        workspace = await self._workspaces.resolve(request.workspace)
        owner = paging.fingerprint("jobs", workspace.id)
        after = paging.decode_token(request.page_token, owner, str) or ""
        jobs = await self._storage.list_jobs(workspace.id, size + 1, after_job_id=after)
        token = paging.encode_token(jobs[size - 1].id, owner) if len(jobs) > size else ""
        return pb.ListIngestJobsResponse(jobs=[job_to_proto(j) for j in jobs[:size]],
                                         next_page_token=token)

    async def WatchIngestJob(self, request: pb.WatchIngestJobRequest,
                             context: ServicerContext) -> AsyncIterator[pb.WatchIngestJobResponse]:
        bounded_text(request.job_id, "job_id", max_bytes=limits.ID_BYTES, required=True)
        last = b""
        async for job in self._jobs.follow(request.job_id):
            message = pb.WatchIngestJobResponse(job=job_to_proto(job))
            encoded = message.SerializeToString(deterministic=True)
            if encoded != last:  # only changes are sent
                last = encoded
                yield message

    async def ListSkippedFiles(self, request: pb.ListSkippedFilesRequest,
                               context: ServicerContext) -> pb.ListSkippedFilesResponse:
        size = page_size(request.page_size, limits.SKIPPED_FILES_PAGE)
        job = await self._job(request.job_id)
        owner = paging.fingerprint("skipped", job.id)
        offset = paging.decode_token(request.page_token, owner, int) or 0
        skipped = sorted(job.skipped)
        page = skipped[offset:offset + size]
        more = offset + size < len(skipped)
        return pb.ListSkippedFilesResponse(
            skipped_files=[pb.SkippedFile(path=p, reason=r) for p, r in page],
            next_page_token=paging.encode_token(offset + size, owner) if more else "")

    async def GetStats(self, request: pb.GetStatsRequest,
                       context: ServicerContext) -> pb.GetStatsResponse:
        workspace = await self._workspaces.resolve(request.workspace)
        stats = await self._storage.stats(workspace.id)
        return stats_to_proto(workspace.id, self._storage.name, stats,
                              await self._jobs.layer_report(workspace.id, stats))
