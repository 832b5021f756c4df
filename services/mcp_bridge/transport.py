"""How the bridge is reached: stdio (the MCP host starts `knowport mcp` itself) or streamable
HTTP on loopback, guarded by Host and Origin checks and an optional bearer token."""

from __future__ import annotations

import contextlib
import hmac
import logging
import socket
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.config import Settings
from services.mcp_bridge.server import build_server

log = logging.getLogger(__name__)
MCP_PATH = "/mcp"


class Guard:
    """Checks every HTTP request before the MCP app sees it: the Host header (DNS rebinding),
    the Origin header (a browser page on another site), then the bearer token if one is set.
    The SDK's transport checks Host and Origin again inside; this makes sure a foreign origin
    is refused (403) before anything else is said to it."""

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings, token: str) -> None:
        self.app = app
        self._security = TransportSecurityMiddleware(security)
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refused = await self._security.validate_request(request)
            if refused is None and self._token and not self._authorized(request):
                log.warning("refused an MCP request without the right bearer token")
                refused = JSONResponse(
                    {"error": "unauthorized", "message": "send Authorization: Bearer <MCP_TOKEN>"},
                    status_code=401, headers={"WWW-Authenticate": 'Bearer realm="knowport"'})
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _authorized(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  self._token)


def http_app(server: MCPServer, settings: Settings) -> ASGIApp:
    mcp = settings.mcp
    security = TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                         allowed_hosts=mcp.allowed_hosts,
                                         allowed_origins=mcp.allowed_origins)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security,
                                     host=mcp.mcp_http_host)
    return Guard(app, security, mcp.mcp_token.get_secret_value())


def _listen(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


async def serve_http(server: MCPServer, settings: Settings) -> None:
    import uvicorn

    class Uvicorn(uvicorn.Server):
        """uvicorn raises SIGTERM/SIGINT again after its graceful shutdown; `knowport mcp`,
        like `knowport serve`, exits 0 once it has shut down cleanly."""

        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    mcp = settings.mcp
    sock = _listen(mcp.mcp_http_host, mcp.mcp_http_port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # log_config=None: uvicorn logs through our logging set-up (stderr), not its own stdout one.
    config = uvicorn.Config(http_app(server, settings), log_config=None, lifespan="on",
                            timeout_graceful_shutdown=3)
    guarded = "bearer token required" if mcp.mcp_token.get_secret_value() else "no token"
    print(f"knowport mcp serving on http://{shown}:{port}{MCP_PATH} ({guarded}; server "
          f"{settings.runtime.grpc_host}:{settings.runtime.grpc_port})", flush=True)
    await Uvicorn(config).serve(sockets=[sock])


async def serve(settings: Settings) -> None:
    """Run the bridge on the configured transport until the host goes away (stdio: stdin
    closes) or a signal stops it (HTTP)."""
    server = build_server(settings)
    if settings.mcp.mcp_transport == "http":
        await serve_http(server, settings)
    else:
        print("knowport mcp: serving MCP over stdio (logs on stderr)", file=sys.stderr,
              flush=True)
        await server.run_stdio_async()
