"""Optional access control: a shared token in `authorization: Bearer <token>` metadata.

Health stays open (orchestrators probe without credentials), and so does SystemService (the
same status for HTTP health checks); everything else, reflection included, needs the token
when one is configured.
"""

from __future__ import annotations

import hmac

import grpc

from services.rpc.interceptor import replace_behaviour

HEALTH_PREFIX = "/grpc.health.v1.Health/"
OPEN_PREFIXES = (HEALTH_PREFIX, "/knowport.v1.SystemService/")


class TokenAuth(grpc.aio.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _allowed(self, details: grpc.HandlerCallDetails) -> bool:
        if details.method.startswith(OPEN_PREFIXES):
            return True
        given = next((value for key, value in details.invocation_metadata or ()
                      if key == "authorization"), "")
        if isinstance(given, str):
            given = given.encode()
        return hmac.compare_digest(given, self._expected)  # constant time: no timing oracle

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or self._allowed(handler_call_details):
            return handler

        async def deny_unary(request, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                "missing or wrong access token: send metadata "
                                "'authorization: Bearer <token>'")

        async def deny_stream(request, context):
            await deny_unary(request, context)
            yield  # pragma: no cover - never reached; makes this an async generator

        return replace_behaviour(handler, lambda behaviour: deny_unary,
                                 lambda behaviour: deny_stream)
