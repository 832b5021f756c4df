"""Connection limits (services/server/transport.py), with real sockets against a real server:
connections past KNOWPORT_MAX_CONNECTIONS are closed at accept, connections that never send
the HTTP/2 preface are closed after KNOWPORT_HANDSHAKE_TIMEOUT_SECONDS, and connections with
no call are closed after KNOWPORT_CONNECTION_IDLE_SECONDS (the client reconnects by itself)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from knowport.v1 import knowledge_service_pb2 as knowledge_pb
from knowport.v1 import knowledge_service_pb2_grpc as knowledge_grpc
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server

SERVING = health_pb2.HealthCheckResponse.SERVING
HALF_OPEN = 200
CAP = 50


@contextlib.contextmanager
def half_open(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` TCP connections that never send a byte (no HTTP/2 preface)."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for sock in sockets:
        sock.setblocking(False)
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    """The server closed it (EOF or reset); whatever it sent first (its SETTINGS) is read."""
    try:
        while sock.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


async def wait_until_closed(sockets: list[socket.socket], count: int, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while sum(closed_by_server(s) for s in sockets) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def _check_and_search(address: str) -> None:
    """A new client's health Check and Search, waiting for a connection up to a deadline."""
    async with grpc.aio.insecure_channel(address) as channel:
        health = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=30, wait_for_ready=True)
        assert health.status == SERVING
        found = await knowledge_grpc.KnowledgeServiceStub(channel).Search(
            knowledge_pb.SearchRequest(query="x"), timeout=30, wait_for_ready=True)
        assert not found.hits


async def test_connections_past_the_cap_are_closed_at_once(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_MAX_CONNECTIONS=str(CAP),
                              KNOWPORT_HANDSHAKE_TIMEOUT_SECONDS="120") as server:
        with half_open(server.running.port, HALF_OPEN) as sockets:
            # Long before the handshake timeout, every connection past the cap is gone...
            await wait_until_closed(sockets, HALF_OPEN - CAP, seconds=20)
            # ...and exactly the cap's worth is still held.
            assert sum(closed_by_server(s) for s in sockets) == HALF_OPEN - CAP
        # Their client closed them: the server's room is back for real clients.
        await _check_and_search(server.address)


async def test_half_open_connections_are_closed_after_the_handshake_timeout(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_MAX_CONNECTIONS=str(CAP),
                              KNOWPORT_HANDSHAKE_TIMEOUT_SECONDS="1") as server:
        with half_open(server.running.port, HALF_OPEN) as sockets:
            # A real client gets in once the half-open ones are dropped, while they stay open
            # on the attacker's side.
            await _check_and_search(server.address)
            await wait_until_closed(sockets, HALF_OPEN, seconds=20)


async def test_idle_connections_are_closed_and_clients_reconnect(tmp_path):
    async with running_server(MemoryStorage(), tmp_path,
                              KNOWPORT_CONNECTION_IDLE_SECONDS="0.5") as server:
        channel = server.channel
        await server.health.Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert channel.get_state() == grpc.ChannelConnectivity.READY
        async with asyncio.timeout(20):  # GOAWAY after the idle time moves the channel on
            while channel.get_state() == grpc.ChannelConnectivity.READY:
                await channel.wait_for_state_change(grpc.ChannelConnectivity.READY)
        reply = await server.health.Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert reply.status == SERVING
