"""A cold start never surfaces as a deadline error (issue 14, item 1).

A real `knowport serve` with the real local embedding model (EMBEDDING_BACKEND=local-st) restarts
over an index that already holds vectors from that model, in PostgreSQL, as after any restart.
Loading the model takes seconds of CPU (importing torch alone does), far longer than the test
takes to send its first calls after the server prints its address; the server loads it in the
background. The first Search, with the MCP bridge's 5 s deadline, and the bridge's search_code
must answer at once, lexically, saying the model is warming up; health is SERVING meanwhile;
once the model is loaded, searches are hybrid. Before the fix the first Search waited for the
load: 4.4 s here with the model's files in the page cache (40 ms after it), 6-7 s from a cold
cache, 10-20 s on the issue's machine, past the bridge's deadline.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mcp import Client

from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import knowledge_service_pb2_grpc as kgrpc
from services.knowledge.search import WARMING_UP
from services.mcp_bridge.server import build_server
from tests.support.grpc_server import settings_for
from tests.support.process import start_serve, tool

pytestmark = pytest.mark.postgres

BRIDGE_DEADLINE_SECONDS = 5.0  # MCP_DEADLINE_SECONDS' default: what an agent's search gets
LOADED_WITHIN_SECONDS = 180  # hang guard for the model load on a busy 2-core machine


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "lease.py").write_text(
        "def renew_lease(lease_id, ttl):\n"
        "    \"\"\"Extend the lease so the holder keeps the lock.\"\"\"\n"
        "    return lease_id, ttl\n")
    (root / "loop.py").write_text("class EventLoop:\n    def run(self):\n        pass\n")
    return root


@pytest.fixture
def indexed(pg_dsn, workspace) -> dict[str, str]:
    """The server's environment, over an index built (with local vectors) by another process."""
    # local-st: the sentence-transformers engine, whose load takes seconds (the default ONNX
    # engine loads an exported model in well under one, too fast to catch it warming up).
    env = {"STORAGE_TYPE": "postgres", "POSTGRES_DSN": pg_dsn, "WORKSPACE": str(workspace),
           "EMBEDDING_BACKEND": "local-st", "OPENAI_API_BASE": "",
           "KNOWPORT_INGEST_ON_START": "false", "KNOWPORT_HEALTH_INTERVAL_SECONDS": "0.2"}
    done = subprocess.run([tool("knowport"), "ingest", "--local"], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


async def _search(stub: kgrpc.KnowledgeServiceStub) -> kpb.SearchResponse:
    return await stub.Search(kpb.SearchRequest(query="renew the lease", page_size=5,
                                               mode=kpb.SEARCH_MODE_HYBRID),
                             timeout=BRIDGE_DEADLINE_SECONDS)


async def _bridge_search(workspace, port: str) -> dict:
    settings = settings_for(workspace, GRPC_PORT=port,
                            MCP_DEADLINE_SECONDS=str(BRIDGE_DEADLINE_SECONDS))
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("search_code", {"query": "renew the lease"})
    assert not result.is_error, result.content[0].text  # e.g. DEADLINE_EXCEEDED before
    return result.structured_content


async def test_first_searches_after_a_cold_start_answer_lexically_then_hybrid(indexed,
                                                                              workspace):
    served = start_serve(indexed)
    try:
        host, port = served.address.rsplit(":", 1)
        async with grpc.aio.insecure_channel(served.address) as channel:
            stub = kgrpc.KnowledgeServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=BRIDGE_DEADLINE_SECONDS)
            first, through_bridge, healthy = await asyncio.gather(
                _search(stub), _bridge_search(workspace, port), health)

            assert healthy.status == health_pb2.HealthCheckResponse.SERVING
            assert WARMING_UP in first.notices, first
            assert first.effective_mode == kpb.SEARCH_MODE_LEXICAL
            assert first.hits and first.hits[0].path == "lease.py", first
            assert WARMING_UP in through_bridge["notices"], through_bridge
            assert through_bridge["hits"][0]["path"] == "lease.py"

            async with asyncio.timeout(LOADED_WITHIN_SECONDS):
                while (later := await _search(stub)).effective_mode != kpb.SEARCH_MODE_HYBRID:
                    assert WARMING_UP in later.notices, later  # lexical only while loading
                    await asyncio.sleep(0.2)
            assert WARMING_UP not in later.notices
            assert later.hits[0].path == "lease.py"
    finally:
        assert served.stop() == 0, "".join(served.output)
    assert any("local embedding model" in line and "loaded in" in line
               for line in served.output), "".join(served.output)
