"""The MCP bridge and the server's workspaces: the bridge checks at start that its WORKSPACE
is one of the server's and says so plainly when it is not; its code tools then name that
workspace (never silently another repository's), and search_code ranks across several."""

from __future__ import annotations

import logging

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import workspace_service_pb2 as wpb
from knowport.v1 import workspace_service_pb2_grpc as wpb_grpc
from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_mcp_tools import bridge, call, failure
from tests.support.grpc_server import running_server
from tests.support.ingest_jobs import finished_job


def repo(root, name: str):
    root.mkdir()
    (root / "README.md").write_text(f"# {name}\n\nThe {name} repository.\n")
    (root / "code.py").write_text(f"def {name}_entry():\n    return '{name}'\n")
    return root


async def test_a_bridge_on_another_repository_says_so_and_never_answers_from_the_default(
        tmp_path, caplog):
    served, mine = repo(tmp_path / "served", "served"), repo(tmp_path / "mine", "mine")
    async with running_server(MemoryStorage(), served) as server:
        await finished_job(server, (await server.ingest.StartIngest(
            ingest_pb.StartIngestRequest())).job.job_id)
        with caplog.at_level(logging.ERROR, logger="services.mcp_bridge.workspace_check"):
            async with bridge(mine, server.running.port) as client:
                assert any("is not one of the server's workspaces" in r.getMessage()
                           and "knowport workspace add" in r.getMessage()
                           for r in caplog.records)
                text = await failure(client, "get_file_context", path="README.md")
                assert "NOT_FOUND" in text and "mine-" in text
                # Registered and indexed, the same README answers from both sides.
                made = await wpb_grpc.WorkspaceServiceStub(server.channel).CreateWorkspace(
                    wpb.CreateWorkspaceRequest(root=str(mine)))
                await finished_job(server, (await server.ingest.StartIngest(
                    ingest_pb.StartIngestRequest(workspace=made.workspace.id))).job.job_id)
                context = await call(client, "get_file_context", path="README.md")
                doc = await call(client, "read_doc", path="README.md")
                assert "The mine repository." in context["text"]
                assert "The mine repository." in doc["text"]
                both = await call(client, "search_code", query="entry", mode="lexical",
                                  workspaces=[server.workspace.id, made.workspace.id])
                assert {h["workspace"] for h in both["hits"]} == {server.workspace.id,
                                                                  made.workspace.id}


async def test_a_bridge_on_the_servers_workspace_is_confirmed(tmp_path, caplog):
    served = repo(tmp_path / "served", "served")
    async with running_server(MemoryStorage(), served) as server:
        with caplog.at_level(logging.INFO, logger="services.mcp_bridge.workspace_check"):
            async with bridge(served, server.running.port):
                pass
    assert any(f"is the server's workspace {server.workspace.id}" in r.getMessage()
               for r in caplog.records)
