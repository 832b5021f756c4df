"""The keepalive policy (services/server/transport.py): a client that pings faster than the
server allows gets GOAWAY and its open call fails UNAVAILABLE ("too many pings"), while a
well-behaved client on the same server keeps its own stream and calls."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from knowport.v1 import lock_service_pb2 as lock_pb
from knowport.v1 import lock_service_pb2_grpc as lock_grpc
from services.storage.memory import MemoryStorage
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
