"""SystemService: the seed's `GET /` and `GET /health` as an RPC, following the health
monitor (UNAVAILABLE while storage is unreachable or the server is stopping)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import grpc

from knowport.v1 import system_service_pb2 as pb
from knowport.v1 import system_service_pb2_grpc as pb_grpc
from services.server.health import HealthMonitor

SYSTEM_SERVICE = pb.DESCRIPTOR.services_by_name["SystemService"].full_name


def product_version() -> str:
    """The installed product's version."""
    try:
        return version("knowport")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


class StatusServicer(pb_grpc.SystemServiceServicer):
    def __init__(self, health: HealthMonitor, services: list[str]) -> None:
        self._health = health
        self._services = sorted(services)
        self._version = product_version()

    async def GetStatus(self, request: pb.GetStatusRequest,
                        context: grpc.aio.ServicerContext) -> pb.GetStatusResponse:
        if not self._health.serving:
            await context.abort(grpc.StatusCode.UNAVAILABLE,
                                "not serving: storage unreachable or shutting down")
        return pb.GetStatusResponse(status="ok", services=self._services,
                                    version=self._version)
