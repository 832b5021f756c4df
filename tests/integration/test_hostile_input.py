"""Hostile requests to every RPC: random, huge and malformed fields built from each request
message's descriptor, on both backends. No call may end INTERNAL or UNKNOWN, and health stays
SERVING."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2
from hypothesis import HealthCheck, given, settings

from knowport.v1 import ingest_service_pb2, knowledge_service_pb2, lock_service_pb2
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
