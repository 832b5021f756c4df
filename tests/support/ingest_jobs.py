"""Ingest jobs through the gRPC API, as a client sees them."""

from __future__ import annotations

import asyncio

from knowport.v1 import ingest_service_pb2 as ingest_pb

FINISHED = frozenset({ingest_pb.INGEST_JOB_STATE_SUCCEEDED, ingest_pb.INGEST_JOB_STATE_FAILED,
                      ingest_pb.INGEST_JOB_STATE_CANCELLED})


async def finished_job(server, job_id: str) -> ingest_pb.IngestJob:
    """The job's stored record once it reads finished (60 s at most). Polled, not watched:
    the record must say it by itself, even when the job's runner is gone."""
    async with asyncio.timeout(60):
        while True:
            reply = await server.ingest.GetIngestJob(ingest_pb.GetIngestJobRequest(job_id=job_id))
            if reply.job.state in FINISHED:
                return reply.job
            await asyncio.sleep(0.2)


async def job_until(server, job_id: str, check) -> ingest_pb.IngestJob:
    """The job's record once `check` holds for it (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            job = (await server.ingest.GetIngestJob(
                ingest_pb.GetIngestJobRequest(job_id=job_id))).job
            if check(job):
                return job
            await asyncio.sleep(0.05)


async def ingest_to_end(server) -> ingest_pb.IngestJob:
    """Start an ingest of the server's default workspace and wait for it to finish."""
    started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest())
    return await finished_job(server, started.job.job_id)
