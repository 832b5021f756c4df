"""Shutdown's cancellations reach their tasks, even when they land as the awaited thing
completes.

Python 3.11's asyncio.wait_for swallows a cancellation that arrives in the step between the
awaited thing completing and the waiting task resuming. The health monitor then went on
checking for ever and `knowport serve` never finished its shutdown; a lock watcher went on
watching. Each test lands in that step on purpose, not by luck.
"""

from __future__ import annotations

import asyncio

from grpc_health.v1 import health_pb2

from services.config.llm_lock import LlmLockSettings
from services.llm_lock.lock import LlmLock
from services.server.health import HealthMonitor
from services.storage.memory.adapter import MemoryStorage

HANG_GUARD_SECONDS = 10  # the monitor checks every 0.05 s: a stop takes one step, not seconds


class StopDuringPing(MemoryStorage):
    """Memory storage whose next ping, once armed, starts the monitor's shutdown as it
    completes."""

    def __init__(self) -> None:
        super().__init__()
        self.monitor: HealthMonitor | None = None
        self.shutdown: asyncio.Task | None = None
        self.shutdown_started = asyncio.Event()

    async def ping(self) -> None:
        await super().ping()
        if self.monitor is not None and self.shutdown is None:
            self.shutdown = asyncio.create_task(self.monitor.shutdown())
            self.shutdown_started.set()


async def test_shutdown_that_lands_as_a_ping_completes_still_stops_the_monitor():
    storage = StopDuringPing()
    monitor = HealthMonitor(storage, ["knowport.v1.KnowledgeService"], interval=0.05)
    await monitor.start()
    storage.monitor = monitor  # arm: the monitor's next check starts the shutdown
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        await storage.shutdown_started.wait()
    # asyncio.wait, not a timeout around the await: cancelling the shutdown would cancel the
    # monitor a second time, which would end it and hide the hang.
    done, _ = await asyncio.wait({storage.shutdown}, timeout=HANG_GUARD_SECONDS)
    assert storage.shutdown in done, "the health monitor ignored its shutdown"
    storage.shutdown.result()
    reply = await monitor.servicer.Check(health_pb2.HealthCheckRequest(service=""), None)
    assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_a_lock_waiter_cancelled_as_the_lock_changes_ends_cancelled():
    lock = LlmLock(MemoryStorage(), LlmLockSettings())
    await lock.start()
    try:
        # With a time limit, as a watch waits for a change or the expiry, whichever comes first.
        waiter = asyncio.create_task(lock.wait_for_change(60))
        await asyncio.sleep(0)  # the waiter is now waiting for a change
        # The change and the cancellation in one step: nothing runs in between (the memory
        # storage's acquire does not yield).
        assert (await lock.acquire("agent-7", 60)).acquired
        waiter.cancel()
        done, _ = await asyncio.wait({waiter}, timeout=HANG_GUARD_SECONDS)
        assert waiter in done and waiter.cancelled(), "the cancellation was swallowed"
    finally:
        await lock.close()
