"""One server interceptor that wraps every handler with the call limits (unary calls and
streams apart), the check of the request's bytes, the response budget, error mapping and the
access log.

aio interceptors cannot see responses unless they wrap the handler's behaviour, so this
replaces each RpcMethodHandler's behaviour with a wrapped one (CONVENTIONS: "interceptors that
must see the response wrap the handler").
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc

from services.domain.errors import ResourceExhausted
from services.rpc.malformed import Malformed, RateLimitedLog, tolerant_deserializer
from services.rpc.requests import reject_nul_characters
from services.rpc.response_cap import check_response_size
from services.rpc.status import abort_for
from services.rpc.streams import StreamBudget

access_log = logging.getLogger("knowport.access")


class _Call:
    """Book-keeping of one call for the access log."""

    __slots__ = ("method", "started", "bytes_out", "cancelled")

    def __init__(self, method: str) -> None:
        self.method = method
        self.started = time.perf_counter()
        self.bytes_out = 0
        self.cancelled = False

    def log(self, context: grpc.aio.ServicerContext) -> None:
        code = context.code()
        if code is None:
            code = grpc.StatusCode.CANCELLED if self.cancelled else grpc.StatusCode.OK
        name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        access_log.info("%s %s bytes=%d latency_ms=%.2f", self.method, name, self.bytes_out,
                        (time.perf_counter() - self.started) * 1000)


class _BudgetedContext:
    """Context proxy that measures messages a handler sends with `context.write`."""

    def __init__(self, context: grpc.aio.ServicerContext, measure: Callable[[Any], None]):
        self._context = context
        self._measure = measure

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    async def write(self, message: Any) -> None:
        self._measure(message)
        await self._context.write(message)


def replace_behaviour(handler: grpc.RpcMethodHandler,
                      unary: Callable[[Any], Any], stream: Callable[[Any], Any]):
    """The handler with its behaviour passed through `unary` (for calls with a single
    response) or `stream` (for calls with a stream of responses)."""
    if handler.unary_unary:
        return handler._replace(unary_unary=unary(handler.unary_unary))
    if handler.stream_unary:
        return handler._replace(stream_unary=unary(handler.stream_unary))
    if handler.unary_stream:
        return handler._replace(unary_stream=stream(handler.unary_stream))
    return handler._replace(stream_stream=stream(handler.stream_stream))


def _checked(request: Any) -> None:
    """Refuse a request that did not parse, or that holds a NUL character."""
    if isinstance(request, Malformed):
        raise request.error()
    reject_nul_characters(request)


class CallInterceptor(grpc.aio.ServerInterceptor):
    """Applies the call limits, request checks, budget, error mapping and access log to every
    RPC. Unary calls count against `max_concurrent`; streams against `streams` alone, so
    long-lived watches never take the unary calls' room."""

    def __init__(self, budget_bytes: int, max_concurrent: int = 1_000_000,
                 streams: StreamBudget | None = None) -> None:
        self._budget = budget_bytes
        self._limit = max_concurrent
        self._in_flight = 0
        self._streams = streams or StreamBudget(1_000_000, 1_000_000)
        self._malformed_log = RateLimitedLog()

    @contextlib.contextmanager
    def _admitted(self, method: str) -> Iterator[None]:
        """Count the call against the limit; health probes always pass (orchestrators must
        see a busy server as alive, not dead)."""
        if method.startswith("/grpc.health.v1.Health/"):
            yield
            return
        if self._in_flight >= self._limit:
            raise ResourceExhausted(
                f"server busy: {self._in_flight} calls in flight (limit {self._limit}); "
                "retry with backoff", reason="SERVER_BUSY")
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.request_deserializer is not None:
            handler = handler._replace(request_deserializer=tolerant_deserializer(
                handler.request_deserializer, method, handler.request_streaming,
                self._malformed_log))
        return replace_behaviour(handler, lambda b: self._wrap_unary(b, method),
                                 lambda b: self._wrap_stream(b, method))

    def _wrap_unary(self, behavior, method: str):
        budget = self._budget

        async def unary(request, context: grpc.aio.ServicerContext):
            call = _Call(method)
            try:
                with self._admitted(method):
                    _checked(request)
                    response = await behavior(request, context)
                call.bytes_out = check_response_size(response, budget, method)
                return response
            except grpc.aio.AbortError:
                raise  # the handler chose its status itself
            except Exception as exc:
                await abort_for(exc, context, method)
            except asyncio.CancelledError:
                call.cancelled = True
                raise
            finally:
                call.log(context)

        return unary

    def _wrap_stream(self, behavior, method: str):
        budget = self._budget

        async def stream(request, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            call = _Call(method)

            def measure(message: Any) -> None:
                call.bytes_out += check_response_size(message, budget, method)

            try:
                with self._streams.admitted(context.peer()):
                    _checked(request)
                    produced = behavior(request, _BudgetedContext(context, measure))
                    if inspect.isasyncgen(produced):
                        async for message in produced:
                            measure(message)
                            yield message
                    else:  # a coroutine that sends with context.write (e.g. health Watch)
                        await produced
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await abort_for(exc, context, method)
            except (asyncio.CancelledError, GeneratorExit):
                call.cancelled = True
                raise
            finally:
                call.log(context)

        return stream
