"""The keepalive policy (services/server/transport.py): a client that pings faster than the
server allows gets GOAWAY and its open call fails UNAVAILABLE ("too many pings"), while a
well-behaved client on the same server keeps its own stream and calls; and a client that
stops answering the server's pings (a frozen process) loses its connection and the streams
on it, so its share of the stream budget comes back."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import grpc
import pytest

from knowport.v1 import lock_service_pb2 as lock_pb
from knowport.v1 import lock_service_pb2_grpc as lock_grpc
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server

# Pings every 100 ms, with or without calls and data: far below the server's 10 s minimum, so
# each ping is a strike and the third one (max_ping_strikes is 2) ends the connection.
ABUSIVE_PINGS = [
    ("grpc.keepalive_time_ms", 100),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]


def too_many_pings(details: str) -> bool:
    """gRPC 1.85 says "Too many pings"; the GOAWAY's debug data says "too_many_pings"."""
    return "too many pings" in details.lower().replace("_", " ")


async def test_an_abusive_pinger_gets_goaway_and_a_polite_client_is_unaffected(tmp_path):
    async with running_server(MemoryStorage(), tmp_path) as server, \
            grpc.aio.insecure_channel(server.address, options=ABUSIVE_PINGS) as abusive:
        polite = server.lock.WatchLlmLock(lock_pb.WatchLlmLockRequest())
        await polite.read()  # the current state comes first
        abused = lock_grpc.LockServiceStub(abusive).WatchLlmLock(lock_pb.WatchLlmLockRequest())
        await abused.read()

        with pytest.raises(grpc.aio.AioRpcError) as goaway:
            async with asyncio.timeout(12):  # a guard only: GOAWAY comes after a few pings
                await abused.read()  # no change of the lock happens: only pings flow
        assert goaway.value.code() == grpc.StatusCode.UNAVAILABLE, goaway.value
        assert too_many_pings(goaway.value.details()), goaway.value.details()

        # The polite client's connection was not touched: its stream still follows the lock.
        await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(holder="agent-1"))
        async with asyncio.timeout(5):
            changed = await polite.read()
        assert changed.lock.holder == "agent-1", changed
        polite.cancel()


# A client in its own process: opens `count` lock watches on one connection, says "ready" once
# each has its first message, then waits (it will be frozen with SIGSTOP).
WATCHER = """
import asyncio, sys, grpc
from knowport.v1 import lock_service_pb2 as pb, lock_service_pb2_grpc as rpc

async def main(address, count):
    async with grpc.aio.insecure_channel(address) as channel:
        stub = rpc.LockServiceStub(channel)
        watches = [stub.WatchLlmLock(pb.WatchLlmLockRequest()) for _ in range(count)]
        for watch in watches:
            await watch.read()
        print("ready", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def _watch_admitted(server) -> bool:
    watch = server.lock.WatchLlmLock(lock_pb.WatchLlmLockRequest())
    try:
        await watch.read()
    except grpc.aio.AioRpcError as refused:
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused
        return False
    watch.cancel()
    return True


async def test_a_frozen_client_loses_its_streams_after_the_keepalive_timeout(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_MAX_STREAMS_PER_PEER="4",
                              KNOWPORT_KEEPALIVE_SECONDS="1",
                              KNOWPORT_KEEPALIVE_TIMEOUT_SECONDS="1") as server:
        watcher = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WATCHER, server.address, "4", stdout=subprocess.PIPE)
        try:
            ready = await asyncio.wait_for(watcher.stdout.readline(), 30)
            assert ready.strip() == b"ready", ready
            assert not await _watch_admitted(server)  # the watcher holds this peer's share

            watcher.send_signal(signal.SIGSTOP)  # alive to TCP, deaf to HTTP/2 pings
            async with asyncio.timeout(30):  # keepalive 1 s + 1 s; a guard, not a measure
                while not await _watch_admitted(server):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        finally:
            watcher.kill()
            await asyncio.wait_for(watcher.wait(), 10)
