"""A unary call whose JSON answer must fit the byte cap.

JSON is larger than protobuf (field names, escapes, every field shown), so a response that
fits the server's budget as protobuf may not as JSON. Responses built to a budget (those with
a `truncated` field: they cut and say how to continue) are asked for again with a smaller
budget (metadata knowport-budget-bytes) until their JSON fits; any other response over the cap
is RESOURCE_EXHAUSTED. No body over the cap is ever sent."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf.message import Message

from services.domain.errors import ResourceExhausted
from services.domain.limits import MIN_ASKED_BUDGET_BYTES
from services.http_gateway.errors import HttpError
from services.http_gateway.routes import Route
from services.http_gateway.transcode import to_json
from services.rpc.response_cap import BUDGET_METADATA_KEY

REFITS = 4  # asks after the first; each aims below the cap by the size measured last
HEADROOM = 0.95


def budgeted(route: Route) -> bool:
    return "truncated" in route.method.output_type.fields_by_name


class UnaryCaller:
    def __init__(self, channel: grpc.aio.Channel, cap: int) -> None:
        self._channel = channel
        self._cap = cap
        self._calls: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    def _callable(self, route: Route) -> grpc.aio.UnaryUnaryMultiCallable:
        if route.rpc not in self._calls:
            self._calls[route.rpc] = self._channel.unary_unary(
                route.rpc, request_serializer=route.request_class.SerializeToString,
                response_deserializer=route.response_class.FromString)
        return self._calls[route.rpc]

    async def call(self, route: Route, request: Message, metadata: list[tuple[str, str]],
                   seconds: float | None) -> bytes:
        call = self._callable(route)
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds

        async def ask(extra: list[tuple[str, str]]) -> bytes:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                return to_json(await call(request, metadata=[*metadata, *extra], timeout=left))
            except grpc.aio.AioRpcError as err:
                raise HttpError.of_rpc(err) from None

        body = await ask([])
        budget = self._cap
        for _ in range(REFITS if budgeted(route) else 0):
            if len(body) <= self._cap or budget <= MIN_ASKED_BUDGET_BYTES:
                break
            budget = max(MIN_ASKED_BUDGET_BYTES, int(budget * self._cap / len(body) * HEADROOM))
            smaller = await ask([(BUDGET_METADATA_KEY, str(budget))])
            if len(smaller) >= len(body):  # the RPC does not honour the asked budget
                break
            body = smaller
        if len(body) > self._cap:
            raise HttpError.of(ResourceExhausted(
                f"{route.method.name}: the JSON response would be {len(body)} bytes, over the "
                f"{self._cap}-byte cap; narrow the request (a smaller page_size, a filter, a "
                "line range) and ask again", reason="RESPONSE_TOO_LARGE",
                metadata={"size_bytes": str(len(body)), "budget_bytes": str(self._cap)}))
        return body
