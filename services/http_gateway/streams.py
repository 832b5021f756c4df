"""Server-streamed progress over HTTP: one JSON object per line (`{"result": ...}`, and
`{"error": <google.rpc.Status>}` as the last line when the stream fails), or the same as
server-sent events (`data:` lines; `event: error` for the failure) when asked for with
`Accept: text/event-stream`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf.message import Message

from services.domain.errors import ResourceExhausted
from services.http_gateway.errors import HttpError
from services.http_gateway.transcode import to_json


def _frame(key: str, payload: bytes, sse: bool) -> bytes:
    if sse:
        event = b"event: error\n" if key == "error" else b""
        return event + b"data: " + payload + b"\n\n"
    return b'{"' + key.encode() + b'":' + payload + b"}\n"


async def first_message(call: grpc.aio.UnaryStreamCall) -> Message | None:
    """The stream's first message (None when it ends at once): a call refused at its start
    (no token, no such job) is an HTTP error status, not a 200 with an error line."""
    try:
        return await call.read()
    except grpc.aio.AioRpcError as err:
        raise HttpError.of_rpc(err) from None


async def _messages(call: grpc.aio.UnaryStreamCall,
                    first: Message | None) -> AsyncIterator[Message]:
    if first is None or first is grpc.aio.EOF:
        return
    yield first
    while (message := await call.read()) is not grpc.aio.EOF:
        yield message


async def stream_lines(call: grpc.aio.UnaryStreamCall, first: Message | None, cap: int,
                       sse: bool) -> AsyncIterator[bytes]:
    """Frames of a server stream; a message whose frame would be over `cap` ends the stream
    with RESOURCE_EXHAUSTED instead of being sent."""
    try:
        async for message in _messages(call, first):
            frame = _frame("result", to_json(message), sse)
            if len(frame) > cap:
                raise HttpError.of(ResourceExhausted(
                    f"a streamed message would be {len(frame)} bytes, over the {cap}-byte cap",
                    reason="RESPONSE_TOO_LARGE"))
            yield frame
    except grpc.aio.AioRpcError as err:
        yield _frame("error", HttpError.of_rpc(err).json(), sse)
    except HttpError as err:
        yield _frame("error", err.json(), sse)
    finally:
        call.cancel()  # the HTTP client left (or the stream ended): end the gRPC call too

