"""Health follows PostgreSQL: NOT_SERVING while it is down, SERVING again once it is back."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2

from knowport.v1 import ingest_service_pb2 as ingest_pb
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import running_server
from tests.support.health import wait_for_health
from tests.support.postgres import temporary_postgres

SERVICES = ["", "knowport.v1.IngestService", "knowport.v1.LockService",
            "knowport.v1.KnowledgeService"]


async def _statuses(server) -> set[int]:
    replies = [await server.health.Check(health_pb2.HealthCheckRequest(service=name))
               for name in SERVICES]
    return {reply.status for reply in replies}


async def _wait_for(server, status: int) -> None:
    """Follow the overall status with Watch, as an orchestrator would, then check each one."""
    await wait_for_health(server, status)
    assert await _statuses(server) == {status}


async def test_health_and_data_rpcs_follow_postgres_down_and_back(tmp_path):
    with temporary_postgres("health") as pg:
        storage = PostgresStorage(pg.dsn(), connect_timeout=2, command_timeout=5)
        await storage.open()
        try:
            async with running_server(storage, tmp_path) as server:
                await _wait_for(server, health_pb2.HealthCheckResponse.SERVING)
                assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).files == 0

                await asyncio.to_thread(pg.stop)
                await _wait_for(server, health_pb2.HealthCheckResponse.NOT_SERVING)
                try:
                    await server.ingest.GetStats(ingest_pb.GetStatsRequest(), timeout=15)
                    raise AssertionError("GetStats answered with PostgreSQL stopped")
                except grpc.aio.AioRpcError as err:
                    assert err.code() == grpc.StatusCode.UNAVAILABLE, err
                    assert "PostgreSQL" in err.details() or "storage" in err.details()

                await asyncio.to_thread(pg.start)  # the same server object, no restart of ours
                await _wait_for(server, health_pb2.HealthCheckResponse.SERVING)
                assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).files == 0
        finally:
            await storage.close()
