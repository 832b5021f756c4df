"""Health that follows storage: NOT_SERVING while storage is unreachable, SERVING again once
it answers, without a restart; NOT_SERVING for good from the moment shutdown starts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from grpc_health.v1 import health, health_pb2

from services.domain.errors import StorageUnavailable
from services.storage.port import Backend

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthMonitor:
    """Owns the standard health servicer and keeps it in step with storage."""

    def __init__(self, storage: Backend, service_names: list[str], interval: float) -> None:
        self.servicer = health.aio.HealthServicer()
        self._storage = storage
        self._names = ["", *service_names]  # "" is the server as a whole
        self._interval = interval
        self._task: asyncio.Task | None = None
        self.serving: bool | None = None
        # Run (in the background) each time storage answers again after an outage: a
        # PostgreSQL killed hard may lose its last commits (the index writes them without
        # waiting for the WAL flush), and an incremental ingest redoes exactly those.
        self.on_recovery: list[Callable[[], Awaitable[None]]] = []
        self._recoveries: set[asyncio.Task] = set()

    async def _set_all(self, serving: bool) -> None:
        if serving == self.serving:
            return
        self.serving = serving
        for name in self._names:
            await self.servicer.set(name, SERVING if serving else NOT_SERVING)

    async def check_once(self) -> bool:
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation
            # that arrives as the ping completes, and shutdown() then waited for this loop
            # for ever.
            async with asyncio.timeout(max(self._interval, 2.0)):
                await self._storage.ping()
            healthy = True
        except (StorageUnavailable, TimeoutError) as err:
            if self.serving is not False:
                log.warning("storage unreachable, health NOT_SERVING: %s", err)
            healthy = False
        recovered = healthy and self.serving is False
        if recovered:
            log.info("storage reachable again, health SERVING")
        await self._set_all(healthy)
        if recovered:
            for action in self.on_recovery:
                task = asyncio.create_task(action(), name="storage-recovery")
                self._recoveries.add(task)
                task.add_done_callback(self._recoveries.discard)
        return healthy

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check_once()
            except Exception:  # the monitor must outlive any single bad check
                log.exception("health check failed unexpectedly")

    async def start(self) -> None:
        await self.check_once()
        self._task = asyncio.create_task(self._loop(), name="health-monitor")

    async def shutdown(self) -> None:
        """NOT_SERVING everywhere, and no later check may flip it back."""
        if self._task is not None:
            self._task.cancel()
            # asyncio.wait, unlike suppress(CancelledError), keeps a cancellation of the
            # caller itself.
            await asyncio.wait({self._task})
        self.serving = False
        await self.servicer.enter_graceful_shutdown()
