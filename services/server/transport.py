"""The gRPC server object and its port: interceptors, message limits, keepalive policy,
connection limits, and plaintext or TLS (optionally mutual) binding."""

from __future__ import annotations

import logging
import resource

import grpc

from services.config import ConfigError
from services.config.runtime import RuntimeSettings
from services.rpc.auth import TokenAuth
from services.rpc.interceptor import CallInterceptor
from services.rpc.streams import StreamBudget

log = logging.getLogger(__name__)

# Descriptors kept free for everything but client connections: PostgreSQL, files being read,
# parse workers' pipes, the log.
RESERVED_DESCRIPTORS = 256

# Clients may ping at most every 10 s, and not at all without calls; a client that keeps
# pinging faster collects strikes and gets GOAWAY.
CLIENT_PING_POLICY = [
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_ping_strikes", 2),
]


def keepalive_options(runtime: RuntimeSettings) -> list[tuple[str, int]]:
    """Our own pings to clients with calls open, and the policy for theirs."""
    return [
        ("grpc.keepalive_time_ms", int(runtime.knowport_keepalive_seconds * 1000)),
        ("grpc.keepalive_timeout_ms", int(runtime.knowport_keepalive_timeout_seconds * 1000)),
        # gRPC 1.85 waits for a ping's ack this long (default 60 s), whatever the keepalive
        # timeout says: without it a frozen client keeps its streams a minute longer.
        ("grpc.http2.ping_timeout_ms", int(runtime.knowport_keepalive_timeout_seconds * 1000)),
        # Keep pinging a quiet watch: gRPC's default stops after two pings with no data sent,
        # and a client that vanished would then hold its streams forever.
        ("grpc.http2.max_pings_without_data", 0),
        *CLIENT_PING_POLICY,
    ]


def connection_cap(wanted: int) -> int:
    """KNOWPORT_MAX_CONNECTIONS, lowered to what the descriptor limit leaves room for: a cap
    above it would let connections take the descriptors real work needs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    room = max(1, soft - RESERVED_DESCRIPTORS)
    if wanted > room:
        log.warning("KNOWPORT_MAX_CONNECTIONS=%d lowered to %d: the open-files limit "
                    "(ulimit -n) is %d", wanted, room, soft)
    return min(wanted, room)


def connection_options(runtime: RuntimeSettings) -> list[tuple[str, int]]:
    """gRPC core enforces these before any call exists: the cap refuses connections at accept
    (half-open ones count until the handshake timeout closes them)."""
    return [
        ("grpc.max_allowed_incoming_connections",
         connection_cap(runtime.knowport_max_connections)),
        ("grpc.server_handshake_timeout_ms",
         int(runtime.knowport_handshake_timeout_seconds * 1000)),
        ("grpc.max_connection_idle_ms", int(runtime.knowport_connection_idle_seconds * 1000)),
    ]


def make_grpc_server(runtime: RuntimeSettings) -> grpc.aio.Server:
    # The call interceptor is outermost so its access log also records refused calls.
    interceptors: list[grpc.aio.ServerInterceptor] = [
        CallInterceptor(runtime.knowport_max_response_bytes,
                        runtime.knowport_max_concurrent_rpcs,
                        StreamBudget(runtime.knowport_max_streams_per_peer,
                                     runtime.knowport_max_streams))]
    token = runtime.knowport_auth_token.get_secret_value()
    if token:
        interceptors.append(TokenAuth(token))
    return grpc.aio.server(interceptors=interceptors, options=[
        ("grpc.max_receive_message_length", runtime.knowport_max_receive_bytes),
        # The budget interceptor answers first with a clear message; this is the hard wall.
        ("grpc.max_send_message_length", 4 * 1024 * 1024),
        ("grpc.so_reuseport", 0),
        *keepalive_options(runtime),
        *connection_options(runtime),
    ])


def bind(server: grpc.aio.Server, runtime: RuntimeSettings) -> int:
    """Add the listening port (TLS when a certificate is configured); returns its number."""
    address = f"{runtime.grpc_host}:{runtime.grpc_port}"
    try:
        if runtime.knowport_tls_cert_file is None:
            port = server.add_insecure_port(address)
        else:
            client_ca = runtime.knowport_tls_client_ca_file
            credentials = grpc.ssl_server_credentials(
                [(runtime.knowport_tls_key_file.read_bytes(),
                  runtime.knowport_tls_cert_file.read_bytes())],
                root_certificates=client_ca.read_bytes() if client_ca else None,
                require_client_auth=client_ca is not None)
            port = server.add_secure_port(address, credentials)
    except RuntimeError:  # gRPC's "Failed to bind": the address was free when checked first
        port = 0
    if port == 0:
        # listen_check gives the reason before start-up; this is the rare race after it.
        raise ConfigError(f"cannot listen on {address}: taken while starting")
    return port
