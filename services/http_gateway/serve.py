"""The gateway's listener: uvicorn in the server's own event loop, on KNOWPORT_HTTP_HOST:
KNOWPORT_HTTP_PORT, with the server's TLS settings; calls reach the gRPC services over a
private Unix socket of the same server object (same interceptors: token, limits, budget)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass

import grpc
import uvicorn
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings

from services.config import ConfigError, Settings
from services.http_gateway.app import Gateway, GatewayLimits
from services.http_gateway.openapi import openapi_document
from services.http_gateway.routes import route_table


class _Embedded(uvicorn.Server):
    """uvicorn inside `knowport serve`: the server's own signal handlers stay in charge."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningGateway:
    port: int
    scheme: str
    server: uvicorn.Server
    task: asyncio.Task
    channel: grpc.aio.Channel

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (a few seconds at most), close."""
        self.server.should_exit = True
        await asyncio.wait({self.task})
        await self.channel.close()


def _listen(host: str, port: int) -> socket.socket:
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    try:
        sock = socket.create_server((bare, port), family=family)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{port} (KNOWPORT_HTTP_PORT): "
                          f"{err.strerror or err}") from None
    # Accepted connections inherit it: a response's headers and body go out at once instead of
    # the body waiting ~40 ms for the client's delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _tls(settings: Settings) -> dict[str, object]:
    runtime = settings.runtime
    if runtime.knowport_tls_cert_file is None:
        return {}
    client_ca = runtime.knowport_tls_client_ca_file
    return {"ssl_certfile": str(runtime.knowport_tls_cert_file),
            "ssl_keyfile": str(runtime.knowport_tls_key_file),
            "ssl_ca_certs": str(client_ca) if client_ca else None,
            "ssl_cert_reqs": ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE}


async def start_gateway(settings: Settings, grpc_target: str, version: str) -> RunningGateway:
    http = settings.http
    runtime = settings.runtime
    channel = grpc.aio.insecure_channel(grpc_target, options=[
        ("grpc.max_receive_message_length", 8 * 1024 * 1024)])
    routes = route_table()
    security = TransportSecurityMiddleware(TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=http.allowed_hosts,
        allowed_origins=http.allowed_origins))
    limits = GatewayLimits(response_bytes=runtime.knowport_max_response_bytes,
                           request_bytes=runtime.knowport_max_receive_bytes,
                           default_timeout=http.knowport_http_default_timeout_seconds,
                           token=runtime.knowport_auth_token.get_secret_value())
    app = Gateway(channel, routes, limits, security, openapi_document(routes, version))
    sock = _listen(http.knowport_http_host, http.knowport_http_port or 0)
    tls = _tls(settings)
    # log_config=None: uvicorn logs through our logging set-up; its access log is ours too.
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False,
                            timeout_graceful_shutdown=3, server_header=False, **tls)
    server = _Embedded(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="http-gateway")
    return RunningGateway(port=sock.getsockname()[1], scheme="https" if tls else "http",
                          server=server, task=task, channel=channel)
