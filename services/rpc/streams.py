"""The budget of long-lived streams (lock and job watches, health Watch, reflection), kept
apart from the unary calls' limit so that a client holding many streams can never take the
room a Search needs. Streams are counted per peer (remote address, port left out: one client
opening many connections is still one peer) and overall."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator

from services.domain.errors import ResourceExhausted

_PORTED_SCHEMES = ("ipv4:", "ipv6:")


def peer_address(peer: str) -> str:
    """`context.peer()` without the port: "ipv4:127.0.0.1:5123" -> "ipv4:127.0.0.1",
    "ipv6:%5B::1%5D:5123" -> "ipv6:%5B::1%5D"; anything else (unix sockets) as it is."""
    if peer.startswith(_PORTED_SCHEMES):
        return peer.rsplit(":", 1)[0]
    return peer


class StreamBudget:
    """Counts open streams per peer and overall; one past either limit is refused."""

    def __init__(self, per_peer: int, overall: int) -> None:
        self.per_peer = per_peer
        self.overall = overall
        self._open: collections.Counter[str] = collections.Counter()
        self._total = 0

    @contextlib.contextmanager
    def admitted(self, peer: str) -> Iterator[None]:
        address = peer_address(peer)
        self._refuse_if_full(address)
        self._open[address] += 1
        self._total += 1
        try:
            yield
        finally:
            self._total -= 1
            self._open[address] -= 1
            if not self._open[address]:
                del self._open[address]  # peers come and go: keep no entry for past ones

    def _refuse_if_full(self, address: str) -> None:
        if self._total >= self.overall:
            raise ResourceExhausted(
                f"too many open streams: {self._total} on this server (limit "
                f"KNOWPORT_MAX_STREAMS={self.overall}); close a watch or retry later",
                reason="TOO_MANY_STREAMS", metadata={"limit": "KNOWPORT_MAX_STREAMS"})
        if self._open[address] >= self.per_peer:
            raise ResourceExhausted(
                f"too many open streams from {address}: {self._open[address]} (limit "
                f"KNOWPORT_MAX_STREAMS_PER_PEER={self.per_peer}); close a watch first",
                reason="TOO_MANY_STREAMS",
                metadata={"limit": "KNOWPORT_MAX_STREAMS_PER_PEER"})
