"""Access control and transport security: the shared token (health exempt), TLS and mutual
TLS, reflection switched off, and the concurrency limit answering RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio
import os

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from clients import AsyncKnowportClient, tls
from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import ingest_service_pb2_grpc
from services.storage.memory.adapter import MemoryStorage
from tests.support.certs import make_certs
from tests.support.grpc_server import running_server
from tests.support.process import tool


async def list_services(channel, metadata=()) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async for reply in stub.ServerReflectionInfo(iter([request]), metadata=metadata):
        return [s.name for s in reply.list_services_response.service]
    return []


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as err:
        return err.code()
    return grpc.StatusCode.OK


async def test_token_is_required_except_for_health(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_AUTH_TOKEN="s3cret") as server:
        stats = server.ingest.GetStats
        assert await code_of(stats(ingest_pb.GetStatsRequest())) == \
            grpc.StatusCode.UNAUTHENTICATED
        wrong = (("authorization", "Bearer nope"),)
        assert await code_of(stats(ingest_pb.GetStatsRequest(), metadata=wrong)) == \
            grpc.StatusCode.UNAUTHENTICATED
        right = (("authorization", "Bearer s3cret"),)
        assert (await stats(ingest_pb.GetStatsRequest(), metadata=right)).workspace
        health = await server.health.Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await list_services(server.channel)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "knowport.v1.IngestService" in await list_services(server.channel, right)


async def test_reflection_can_be_switched_off(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_REFLECTION="false") as server:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await list_services(server.channel)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).workspace


@pytest.mark.parametrize("mutual", [False, True])
async def test_tls_and_mutual_tls(tmp_path, mutual):
    certs = make_certs(tmp_path)
    env = {"KNOWPORT_TLS_CERT_FILE": str(certs["server"].cert),
           "KNOWPORT_TLS_KEY_FILE": str(certs["server"].key)}
    if mutual:
        env["KNOWPORT_TLS_CLIENT_CA_FILE"] = str(certs["ca"].cert)
    ca = certs["ca"].cert.read_bytes()
    client = (certs["client"].key.read_bytes(), certs["client"].cert.read_bytes())
    async with running_server(MemoryStorage(), tmp_path, **env) as server:
        address = server.address
        # Plaintext to a TLS port fails.
        assert await code_of(server.ingest.GetStats(ingest_pb.GetStatsRequest(), timeout=5)) \
            == grpc.StatusCode.UNAVAILABLE
        for key_pair, works in [(None, not mutual), (client, True)]:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=ca, private_key=key_pair and key_pair[0],
                certificate_chain=key_pair and key_pair[1])
            async with grpc.aio.secure_channel(address, credentials) as channel:
                stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
                code = await code_of(stub.GetStats(ingest_pb.GetStatsRequest(), timeout=5))
                assert (code == grpc.StatusCode.OK) == works, (key_pair is not None, code)


async def test_the_clients_and_the_cli_speak_mutual_tls(tmp_path):
    certs = make_certs(tmp_path)
    env = {"KNOWPORT_TLS_CERT_FILE": str(certs["server"].cert),
           "KNOWPORT_TLS_KEY_FILE": str(certs["server"].key),
           "KNOWPORT_TLS_CLIENT_CA_FILE": str(certs["ca"].cert)}
    client_env = {"KNOWPORT_TLS_CA_FILE": str(certs["ca"].cert),
                  "KNOWPORT_TLS_CLIENT_CERT_FILE": str(certs["client"].cert),
                  "KNOWPORT_TLS_CLIENT_KEY_FILE": str(certs["client"].key)}
    async with running_server(MemoryStorage(), tmp_path, **env) as server:
        credentials = tls(certs["ca"].cert, certs["client"].cert, certs["client"].key)
        async with AsyncKnowportClient(server.address, credentials=credentials) as client:
            assert (await client.stats()).workspace == server.workspace.id
        host, port = server.address.rsplit(":", 1)
        cli_env = {**os.environ, **client_env, "GRPC_HOST": host, "GRPC_PORT": port,
                   "WORKSPACE": str(tmp_path)}
        for command in ("health", "stats"):
            code, err = await knowport_cli(command, env=cli_env)
            assert code == 0, (command, err)
        # Without its certificate the CLI is turned away with one clear line.
        del cli_env["KNOWPORT_TLS_CLIENT_CERT_FILE"], cli_env["KNOWPORT_TLS_CLIENT_KEY_FILE"]
        code, err = await knowport_cli("stats", env=cli_env)
        assert code == 3 and len(err.strip().splitlines()) == 1, err


async def knowport_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the installed CLI without blocking the loop the server runs on: (exit code, stderr)."""
    done = await asyncio.create_subprocess_exec(
        tool("knowport"), *args, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await done.communicate()
    return done.returncode, err.decode()


class _SlowStorage(MemoryStorage):
    async def stats(self, workspace_id):
        await asyncio.sleep(0.5)
        return await super().stats(workspace_id)


async def test_excess_calls_get_resource_exhausted_in_every_wave(tmp_path):
    async with running_server(_SlowStorage(), tmp_path,
                              KNOWPORT_MAX_CONCURRENT_RPCS="3") as server:
        for _wave in range(3):
            calls = [server.ingest.GetStats(ingest_pb.GetStatsRequest()) for _ in range(6)]
            await asyncio.sleep(0.1)  # all six are in flight now
            # Health passes even while the server is at its limit.
            health = await server.health.Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            codes = [await code_of(call) for call in calls]
            assert codes.count(grpc.StatusCode.OK) == 3
            assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 3
        # After the waves nothing is left counted against the limit.
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).workspace
