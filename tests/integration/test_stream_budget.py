"""Long-lived streams have their own budget, per peer and overall (services/rpc/streams.py):
a client holding many watches is refused past its share with RESOURCE_EXHAUSTED naming the
limit, and never takes the room of anyone's unary calls. Real servers on real ports; every
loopback client is one peer (127.0.0.1), a second peer is the same machine over IPv6 (::1)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import grpc
import pytest
from grpc_health.v1 import health_pb2

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import knowledge_service_pb2 as knowledge_pb
from knowport.v1 import knowledge_service_pb2_grpc as knowledge_grpc
from knowport.v1 import lock_service_pb2 as lock_pb
from knowport.v1 import lock_service_pb2_grpc as lock_grpc
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server

SERVING = health_pb2.HealthCheckResponse.SERVING


async def _open_watches(channel: grpc.aio.Channel, count: int) -> list:
    """`count` WatchLlmLock streams, each admitted (its first message, the state, has come)."""
    stub = lock_grpc.LockServiceStub(channel)
    watches = [stub.WatchLlmLock(lock_pb.WatchLlmLockRequest()) for _ in range(count)]
    for watch in watches:
        async with asyncio.timeout(10):
            await watch.read()
    return watches


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async with asyncio.timeout(10):
            await call.read()
    return info.value


async def _search(channel: grpc.aio.Channel) -> knowledge_pb.SearchResponse:
    return await knowledge_grpc.KnowledgeServiceStub(channel).Search(
        knowledge_pb.SearchRequest(query="lease", mode=knowledge_pb.SEARCH_MODE_LEXICAL),
        timeout=10)


def _cancel(watches) -> None:
    for watch in watches:
        watch.cancel()


async def test_streams_never_take_the_room_of_unary_calls(tmp_path):
    # The case, scaled down: before, 256 open watches used up the 256 calls in flight
    # and every Search got "server busy". Here streams outnumber the unary limit.
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_MAX_CONCURRENT_RPCS="4",
                              KNOWPORT_MAX_STREAMS_PER_PEER="12",
                              KNOWPORT_MAX_STREAMS="12") as server, \
            grpc.aio.insecure_channel(server.address) as other:
        watches = await _open_watches(server.channel, 12)
        found = await asyncio.gather(*(_search(other) for _ in range(4)))
        assert all(reply.effective_mode == knowledge_pb.SEARCH_MODE_LEXICAL for reply in found)
        _cancel(watches)


async def test_a_peer_past_its_stream_share_is_refused_and_unary_calls_pass(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_MAX_STREAMS_PER_PEER="3",
                              KNOWPORT_MAX_STREAMS="10") as server, \
            grpc.aio.insecure_channel(server.address) as other:
        watches = await _open_watches(server.channel, 3)
        # Any stream counts, on any connection of the same address: a job watch from a second
        # channel is the fourth stream of this peer.
        err = await _refused(server.ingest.WatchIngestJob(
            ingest_pb.WatchIngestJobRequest(job_id="any")))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
        assert "KNOWPORT_MAX_STREAMS_PER_PEER=3" in err.details(), err.details()
        err = await _refused(lock_grpc.LockServiceStub(other).WatchLlmLock(
            lock_pb.WatchLlmLockRequest()))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err

        # Unary calls of the same peer keep their own room.
        assert (await _search(other)).effective_mode == knowledge_pb.SEARCH_MODE_LEXICAL
        assert (await server.health.Check(health_pb2.HealthCheckRequest())).status == SERVING

        # A closed watch gives its place back (the server notices the cancel soon after).
        watches.pop().cancel()
        async with asyncio.timeout(10):
            while True:
                again = lock_grpc.LockServiceStub(other).WatchLlmLock(
                    lock_pb.WatchLlmLockRequest())
                try:
                    await again.read()
                    break
                except grpc.aio.AioRpcError as refused:
                    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused
                    await asyncio.sleep(0.05)
        _cancel([*watches, again])


def _ipv6_loopback() -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        return True
    return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="needs IPv6 loopback for a second peer")
async def test_the_overall_stream_cap_holds_across_peers(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, GRPC_HOST="[::]",
                              KNOWPORT_MAX_STREAMS_PER_PEER="3",
                              KNOWPORT_MAX_STREAMS="4") as server, \
            grpc.aio.insecure_channel(f"[::1]:{server.running.port}") as second_peer:
        first = await _open_watches(server.channel, 3)  # peer 127.0.0.1, its full share
        second = await _open_watches(second_peer, 1)  # peer ::1: its own share is untouched
        err = await _refused(lock_grpc.LockServiceStub(second_peer).WatchLlmLock(
            lock_pb.WatchLlmLockRequest()))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
        assert "KNOWPORT_MAX_STREAMS=4" in err.details(), err.details()
        assert (await _search(second_peer)).effective_mode == knowledge_pb.SEARCH_MODE_LEXICAL
        _cancel([*first, *second])
