"""Can `knowport serve` listen on GRPC_HOST:GRPC_PORT? Asked before anything starts.

gRPC reports a failed bind as a bare "Failed to bind" (and its core logs a line of its own to
stderr), after storage is up. Trying the address first with a plain socket gives the reason in
words, before an embedded database is started or anything is logged.
"""

from __future__ import annotations

import errno
import socket

from services.config import ConfigError

_REASONS = {
    errno.EADDRINUSE: "address in use",
    errno.EADDRNOTAVAIL: "no such address on this machine",
    errno.EACCES: "permission denied",
}


def check_can_listen(host: str, port: int) -> None:
    """Raise ConfigError ("cannot listen on HOST:PORT: why") unless some address `host`
    resolves to can be bound on `port` (gRPC, too, serves when at least one binds)."""
    address = f"{host}:{port}"
    try:
        resolved = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                      flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise ConfigError(f"cannot listen on {address}: unknown host (GRPC_HOST)") from None
    failure: OSError | None = None
    for family, kind, proto, _, sockaddr in resolved:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC binds
                probe.bind(sockaddr)
            return
        except OSError as err:
            failure = failure or err
    why = _REASONS.get(getattr(failure, "errno", None), str(failure))
    raise ConfigError(f"cannot listen on {address}: {why}")
