"""One server interceptor that wraps every handler with the response budget, error mapping
and the access log.

aio interceptors cannot see responses unless they wrap the handler's behaviour, so this
replaces each RpcMethodHandler's behaviour with a wrapped one (CONVENTIONS: "interceptors that
must see the response wrap the handler").
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from services.rpc.budget import check_response_size
from services.rpc.errors import abort_for

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


class CallInterceptor(grpc.aio.ServerInterceptor):
    """Applies the budget, error mapping and access log to every RPC of the server."""

    def __init__(self, budget_bytes: int) -> None:
        self._budget = budget_bytes

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return handler._replace(unary_unary=self._wrap_unary(handler.unary_unary, method))
        if handler.stream_unary:
            return handler._replace(stream_unary=self._wrap_unary(handler.stream_unary, method))
        if handler.unary_stream:
            return handler._replace(unary_stream=self._wrap_stream(handler.unary_stream, method))
        return handler._replace(stream_stream=self._wrap_stream(handler.stream_stream, method))

    def _wrap_unary(self, behavior, method: str):
        budget = self._budget

        async def unary(request, context: grpc.aio.ServicerContext):
            call = _Call(method)
            try:
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
