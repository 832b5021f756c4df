"""The gateway as an ASGI app: Host/Origin checks, the route table, the body limit, then one
gRPC call per request on a channel to this server's own services, so the token, deadlines,
the response budget and every interceptor behave exactly as for gRPC clients."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import grpc
from mcp.server.transport_security import TransportSecurityMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from services.domain.errors import (
    InvalidArgument,
    KnowportError,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from services.http_gateway.errors import HttpError
from services.http_gateway.routes import Route
from services.http_gateway.streams import first_message, stream_lines
from services.http_gateway.transcode import build_request, parse_timeout
from services.http_gateway.unary import UnaryCaller

OPENAPI_PATH = "/openapi.json"
JSON = "application/json"


@dataclass(frozen=True)
class GatewayLimits:
    response_bytes: int  # the cap on every JSON body sent (KNOWPORT_MAX_RESPONSE_BYTES)
    request_bytes: int  # the largest request body read (KNOWPORT_MAX_RECEIVE_BYTES)
    default_timeout: float  # unary calls without a grpc-timeout header
    token: str = ""  # KNOWPORT_AUTH_TOKEN: the gRPC side checks it on every call; the gateway
    # only for what it answers itself (/openapi.json)


class Gateway:
    def __init__(self, channel: grpc.aio.Channel, routes: list[Route], limits: GatewayLimits,
                 security: TransportSecurityMiddleware, openapi: bytes) -> None:
        self._channel = channel
        self._routes = routes
        self._limits = limits
        self._security = security
        self._openapi = openapi
        self._unary = UnaryCaller(channel, limits.response_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no websockets; uvicorn runs with the lifespan protocol off
        try:
            response = await self._answer(Request(scope, receive))
        except HttpError as err:
            response = err.response()
        except KnowportError as err:
            response = HttpError.of(err).response()
        except Exception as exc:  # never a traceback to the caller: a ref into the log
            response = HttpError.internal(exc).response()
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        refused = await self._security.validate_request(request)
        if refused is not None:
            reason = bytes(refused.body).decode()
            raise HttpError.of(PermissionDenied(f"{reason}; see KNOWPORT_HTTP_ALLOWED_ORIGINS",
                                                reason="HOST_OR_ORIGIN_REFUSED"),
                               refused.status_code)
        path = request.scope["path"]
        if path == OPENAPI_PATH and request.method == "GET":
            self._check_token(request)  # like reflection: the schema needs the token too
            if len(self._openapi) > self._limits.response_bytes:  # no body over the cap, ever
                raise ResourceExhausted(f"the OpenAPI document is {len(self._openapi)} bytes, "
                                        "over the response cap", reason="RESPONSE_TOO_LARGE")
            return Response(self._openapi, media_type=JSON)
        route, variables = self._route(request.method, path)
        body = await self._body(request)
        if body.strip() and "json" not in request.headers.get("content-type", ""):
            raise HttpError.of(InvalidArgument("send the body as JSON, with Content-Type: "
                                               "application/json", reason="NOT_JSON"), 415)
        message = build_request(route, variables, list(request.query_params.multi_items()),
                                body)
        metadata = _forwarded_metadata(request)
        timeout = self._timeout(request, route)
        if not route.streaming:
            return Response(await self._unary.call(route, message, metadata, timeout),
                            media_type=JSON)
        call = self._channel.unary_stream(route.rpc,
                                          request_serializer=type(message).SerializeToString,
                                          response_deserializer=route.response_class.FromString)
        started = call(message, metadata=metadata, timeout=timeout)
        first = await first_message(started)
        sse = "text/event-stream" in request.headers.get("accept", "")
        return StreamingResponse(stream_lines(started, first, self._limits.response_bytes, sse),
                                 media_type="text/event-stream" if sse else "application/x-ndjson")

    def _check_token(self, request: Request) -> None:
        expected = self._limits.token
        if expected and not hmac.compare_digest(
                request.headers.get("authorization", "").encode(), f"Bearer {expected}".encode()):
            raise HttpError.of(Unauthenticated("missing or wrong access token: send "
                                               "'Authorization: Bearer <token>'"))

    def _route(self, verb: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = []
        for route in self._routes:
            variables = route.match(path)
            if variables is None:
                continue
            if route.verb == verb:
                return route, variables
            allowed.append(route.verb)
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            raise HttpError.of(InvalidArgument(f"{verb} is not allowed on {path}; use {methods}",
                                               reason="METHOD_NOT_ALLOWED"), 405,
                               {"Allow": methods})
        raise NotFound(f"no route for {path!r}; {OPENAPI_PATH} lists them", reason="NO_ROUTE")

    def _timeout(self, request: Request, route: Route) -> float | None:
        given = request.headers.get("grpc-timeout")
        if given is not None:
            return parse_timeout(given)
        return None if route.streaming else self._limits.default_timeout

    async def _body(self, request: Request) -> bytes:
        """The request body, refused (413) past the limit before it is all read."""
        limit = self._limits.request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large(limit: int) -> HttpError:
    return HttpError.of(ResourceExhausted(f"the request body is over {limit} bytes",
                                          reason="REQUEST_TOO_LARGE",
                                          metadata={"limit_bytes": str(limit)}), 413)


def _forwarded_metadata(request: Request) -> list[tuple[str, str]]:
    """What the gRPC side checks: the bearer token, passed through unchanged."""
    token = request.headers.get("authorization")
    return [("authorization", token)] if token is not None else []
