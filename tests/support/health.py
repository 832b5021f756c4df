"""Following a server's health as an orchestrator would."""

from __future__ import annotations

import asyncio

from grpc_health.v1 import health_pb2

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def wait_for_health(server, status: int) -> None:
    """Follow the overall status with Watch until it reads `status` (20 s at most)."""
    async with asyncio.timeout(20):
        async for reply in server.health.Watch(health_pb2.HealthCheckRequest(service="")):
            if reply.status == status:
                return
