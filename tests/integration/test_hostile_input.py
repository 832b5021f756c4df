"""Hostile requests to every RPC: random, huge and malformed fields built from each request
message's descriptor, on both backends. No call may end INTERNAL or UNKNOWN, and health stays
SERVING. Request bytes that are not the RPC's message at all end INVALID_ARGUMENT, with no
traceback in the log."""

from __future__ import annotations

import logging
import time

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowport.v1 import ingest_service_pb2, knowledge_service_pb2, lock_service_pb2
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server
from tests.support.proto_strategies import build, messages

FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
SERVICES = [(module, service) for module in (ingest_service_pb2, knowledge_service_pb2,
                                             lock_service_pb2)
            for service in module.DESCRIPTOR.services_by_name.values()]
METHODS = [(module, service, method) for module, service in SERVICES
           for method in service.methods]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "a.py").write_text("def alpha():\n    return 1\n")
    (root / "README.md").write_text("# Title\n\ntext\n")
    return root


def _request_class(module, method):
    return getattr(module, method.input_type.name)


async def _call(channel, service, method, request) -> grpc.StatusCode:
    path = f"/{service.full_name}/{method.name}"
    response_class = None  # raw bytes back: only the status matters here
    try:
        if method.server_streaming:
            call = channel.unary_stream(path, request_serializer=type(request).SerializeToString,
                                        response_deserializer=response_class)(request,
                                                                              timeout=2)
            async for _ in call:
                break  # the first message (or the error) is enough; then cancel
            call.cancel()
        else:
            await channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                      response_deserializer=response_class)(request, timeout=5)
    except grpc.aio.AioRpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def _examples(module, method, count: int) -> list:
    """`count` hostile requests drawn by hypothesis (collected first: the calls are async and
    hypothesis drives synchronous functions)."""
    drawn: list = []

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(values=messages(method.input_type))
    def collect(values):
        drawn.append(build(_request_class(module, method), values))

    collect()
    return drawn


@pytest.mark.parametrize("module, service, method", METHODS,
                         ids=[f"{s.name}.{m.name}" for _, s, m in METHODS])
async def test_no_request_gets_internal_or_unknown(workspace, storage, module, service,
                                                   method):
    requests = _examples(module, method, 40)
    async with running_server(storage, workspace) as server:
        codes = [await _call(server.channel, service, method, r) for r in requests]
        bad = [(r, c) for r, c in zip(requests, codes, strict=True) if c in FORBIDDEN]
        assert not bad, bad[:1]
        health = await server.health.Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING


# --- request bytes that are not the RPC's message ---------------------------------------

ALL_SERVICES = [*(service for _, service in SERVICES),
                health_pb2.DESCRIPTOR.services_by_name["Health"],
                reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"]]
ALL_METHODS = [(service, method) for service in ALL_SERVICES for method in service.methods]


def _tag(number: int, wire_type: int) -> bytes:
    return bytes([number << 3 | wire_type]) if number < 16 else b""


def _corruptions(message: Descriptor) -> list[bytes]:
    """Bytes no parser accepts as `message`: a known corpus, then random bytes that fail."""
    corpus = [
        b"\x00",  # field number 0
        b"\x08\xff",  # a varint cut short
        b"\xff" * 11,  # a varint longer than 10 bytes
        b"\x0e\x00", b"\x0f",  # wire types 6 and 7 do not exist
        b"\x0c",  # an end-group with no group
        b"\x0a\x05ab",  # a length past the end
    ]
    text = next((f for f in message.fields if f.type == FieldDescriptor.TYPE_STRING
                 and f.number < 16), None)
    if text is not None:  # bad UTF-8 in a string field
        corpus.append(_tag(text.number, 2) + b"\x02\xff\xfe")
    parse = GetMessageClass(message).FromString

    def fails(raw: bytes) -> bool:
        try:
            parse(raw)
        except DecodeError:
            return True
        return False

    drawn: list[bytes] = []

    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(raw=st.binary(min_size=1, max_size=48).filter(fails))
    def collect(raw):
        drawn.append(raw)

    collect()
    assert all(fails(raw) for raw in corpus), message.full_name
    return corpus + drawn


async def _send_raw(channel: grpc.aio.Channel, service, method, raw: bytes) -> grpc.aio.AioRpcError:
    """Send `raw` as the request (no serializer: the bytes go out as they are)."""
    path = f"/{service.full_name}/{method.name}"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        if method.client_streaming:
            call = channel.stream_stream(path)(timeout=10)
            await call.write(raw)
            await call.done_writing()
            await call.read()
        elif method.server_streaming:
            await channel.unary_stream(path)(raw, timeout=10).read()
        else:
            await channel.unary_unary(path)(raw, timeout=10)
    return info.value


async def test_malformed_request_bytes_end_invalid_argument_without_a_traceback(
        workspace, caplog, capfd):
    cases = [(service, method, raw) for service, method in ALL_METHODS
             for raw in _corruptions(method.input_type)]
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        async with running_server(MemoryStorage(), workspace) as server:
            for service, method, raw in cases:
                err = await _send_raw(server.channel, service, method, raw)
                assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (method.full_name, raw, err)
                assert err.details().startswith(
                    f"request is not a valid {method.input_type.name}"), err.details()
            health = await server.health.Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING
    elapsed = time.monotonic() - started

    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in capfd.readouterr().err
    # The access log has its one line per call; beside it, one warning per 10 s at most.
    warnings = [r for r in caplog.records if r.name == "services.rpc.malformed"]
    assert 1 <= len(warnings) <= 1 + elapsed // 10, [r.getMessage() for r in warnings]
    others = [r for r in caplog.records if r.levelno >= logging.WARNING
              and r.name != "services.rpc.malformed"]
    assert not others, [r.getMessage() for r in others]
