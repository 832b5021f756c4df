"""The MCP bridge's tools through the SDK's in-memory client, against a real gRPC server
(memory storage) over a small workspace: every tool, its schema limits, its errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client

from services.mcp_bridge.server import build_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for

TOOLS = {"search_code", "get_file_context", "get_project_overview", "acquire_llm_lock",
         "renew_llm_lock", "release_llm_lock", "get_llm_lock_status", "start_ingest",
         "get_ingest_status", "search_docs", "read_doc", "find_symbol", "find_references",
         "call_graph", "refresh_files"}
READ_ONLY = {"search_code", "get_file_context", "get_project_overview", "get_llm_lock_status",
             "get_ingest_status", "search_docs", "read_doc", "find_symbol", "find_references",
             "call_graph"}
GUIDE = "".join(f"Line {i}: the reconciler renews every lease before it expires.\n"
                for i in range(1, 3001))


def small_workspace(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "lease.py").write_text(
        "def renew_lease(lease_id):\n    \"\"\"Extend a lease.\"\"\"\n    return lease_id\n")
    (root / "pkg" / "loop.py").write_text("class EventLoop:\n    def run(self):\n        pass\n")
    (root / "README.md").write_text("# Demo\n\nThe event loop drives the reconciler.\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").write_text(GUIDE)  # ~190 KB: read_doc must page it
    (root / "notes.txt").write_text("Remember: the lease TTL is 300 seconds.\n")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return small_workspace(tmp_path / "ws")


@asynccontextmanager
async def bridge(workspace: Path, port: int, **env: str) -> AsyncIterator[Client]:
    settings = settings_for(workspace, GRPC_PORT=str(port), **env)
    async with Client(build_server(settings)) as client:
        yield client


async def call(client: Client, tool: str, **arguments) -> dict:
    """A successful call's structured result (and a check that its text says the same)."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    assert len(result.model_dump_json(by_alias=True, exclude_none=True)) <= 50_000
    return result.structured_content


async def failure(client: Client, tool: str, **arguments) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert "Traceback" not in text
    return text


async def test_every_tool_is_listed_with_limits_hints_and_an_output_schema(workspace):
    async with bridge(workspace, 1) as client:  # listing needs no server
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(listed) == TOOLS
    for name, tool in listed.items():
        assert tool.description and len(tool.description) > 80, name  # tells a model when
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
    search = listed["search_code"].input_schema["properties"]
    assert search["query"]["maxLength"] == 2000 and search["query"]["minLength"] == 1
    assert (search["page_size"]["minimum"], search["page_size"]["maximum"]) == (1, 50)
    assert listed["read_doc"].input_schema["properties"]["max_chars"]["maximum"] <= 24_000
    assert listed["acquire_llm_lock"].annotations.idempotent_hint is False
    assert listed["release_llm_lock"].annotations.idempotent_hint is True
    assert "next_page_token" in listed["search_code"].output_schema["properties"]


async def test_ingest_lock_and_knowledge_tools_against_a_real_server(workspace):
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port) as client:
        started = await call(client, "start_ingest", request_id="mcp-1")
        job_id = started["job"]["job_id"]
        for _ in range(400):
            status = await call(client, "get_ingest_status", job_id=job_id)
            if status["job"]["finished"]:
                break
            await asyncio.sleep(0.05)
        assert status["job"]["state"] == "succeeded", status
        assert status["job"]["progress"]["files_persisted"] == 5
        latest = await call(client, "get_ingest_status")
        assert latest["job"]["job_id"] == job_id
        again = await call(client, "start_ingest", request_id="mcp-1")
        assert again["joined"] and again["job"]["job_id"] == job_id

        assert not (await call(client, "get_llm_lock_status"))["locked"]
        taken = await call(client, "acquire_llm_lock", holder="agent-7", ttl_seconds=60)
        assert taken["acquired"] and taken["lease_id"] and taken["lock"]["holder"] == "agent-7"
        busy = await call(client, "acquire_llm_lock", holder="agent-8")
        assert not busy["acquired"] and busy["lease_id"] == ""
        assert busy["lock"]["holder"] == "agent-7" and busy["lock"]["expire_time"]
        renewed = await call(client, "renew_llm_lock", lease_id=taken["lease_id"],
                             ttl_seconds=120)
        assert renewed["lock"]["remaining_ms"] > 60_000
        status = await call(client, "get_llm_lock_status")
        assert status["locked"] and status["holder"] == "agent-7"
        released = await call(client, "release_llm_lock", lease_id=taken["lease_id"])
        assert not released["lock"]["locked"]
        assert not (await call(client, "release_llm_lock",
                               lease_id=taken["lease_id"]))["lock"]["locked"]  # twice is fine

        found = await call(client, "search_code", query="renew lease", page_size=1)
        assert found["hits"][0]["path"] == "pkg/lease.py", found
        assert found["hits"][0]["symbol"] == "renew_lease" and found["next_page_token"]
        following = await call(client, "search_code", query="renew lease", page_size=1,
                               page_token=found["next_page_token"])
        assert following["hits"] and following["hits"][0]["path"] != "pkg/lease.py"
        narrowed = await call(client, "search_code", query="renew lease", path_glob="docs/**",
                              kinds=["section"], languages=["markdown"])
        assert {hit["path"] for hit in narrowed["hits"]} == {"docs/guide.md"}

        context = await call(client, "get_file_context", path="pkg/lease.py")
        assert context["language"] == "python" and "def renew_lease" in context["text"]
        assert [s["name"] for s in context["symbols"]] == ["renew_lease"]
        assert not context["truncated"] and context["next_start_line"] == 0
        text, start = "", 1
        while start:  # a file larger than one result: page its text by next_start_line
            page = await call(client, "get_file_context", path="docs/guide.md", start_line=start)
            assert page["text_start_line"] == start
            text += page["text"]
            start = page["next_start_line"]
        assert text == GUIDE

        # search_docs: the local index answers what the docs say ...
        docs = await call(client, "search_docs", query='"event loop"')
        assert docs["provider"] == "local_index" and docs["skipped"] == []
        assert [(h["path"], h["line"]) for h in docs["hits"]] == [("README.md", 3)]
        first = await call(client, "search_docs", query="reconciler", limit=1)
        assert first["truncated"] and first["next_offset"] == 1
        second = await call(client, "search_docs", query="reconciler", limit=1, offset=1)
        assert {first["hits"][0]["path"], second["hits"][0]["path"]} == {"README.md",
                                                                         "docs/guide.md"}
        # ... and what only the code knows comes from the next provider, the KnowledgeService.
        code = await call(client, "search_docs", query="renew_lease")
        assert code["provider"] == "knowledge" and code["skipped"] == ["local_index: no hits"]
        assert code["hits"][0]["path"] == "pkg/lease.py" and code["hits"][0]["line"] == 1

        overview = await call(client, "get_project_overview", max_depth=2)
        assert overview["workspace"] == server.workspace.id
        assert {x["language"] for x in overview["languages"]} == {"python", "markdown", "text"}
        assert "pkg" in {x["path"] for x in overview["layout"]}
        layout = await call(client, "get_project_overview", section="layout", offset=1)
        assert layout["layout"] == overview["layout"][1:] and layout["languages"] == []


async def status_until(client: Client, job_id: str, check) -> dict:
    """get_ingest_status's job once `check` holds for it (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            job = (await call(client, "get_ingest_status", job_id=job_id))["job"]
            if check(job):
                return job
            await asyncio.sleep(0.05)


async def test_ingest_status_shows_each_layer_and_who_holds_the_llm_lock(tmp_path, llm):
    files = {f"m{i}.py": f"def shard_{i}(key):\n    return hash(key) % {i + 2}\n"
             for i in range(4)}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    llm.reset()
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m"}
    async with running_server(MemoryStorage(), tmp_path, **env) as server, \
            bridge(tmp_path, server.running.port) as client:
        held = await call(client, "acquire_llm_lock", holder="agent-7", ttl_seconds=120)
        job_id = (await call(client, "start_ingest"))["job"]["job_id"]

        def layers(job: dict) -> dict[str, dict]:
            return {layer["layer"]: layer for layer in job["progress"]["layers"]}

        job = await status_until(client, job_id, lambda j: j["state"] == "paused")
        structure, descriptions = layers(job)["structure"], layers(job)["descriptions"]
        assert (structure["files_done"], structure["files_total"]) == (4, 4)
        assert structure["waiting_reason"] == "" and structure["eta_seconds"] == 0
        assert (descriptions["files_done"], descriptions["files_total"]) == (0, 4)
        assert descriptions["waiting_reason"].startswith("paused: LLM locked by agent-7 until ")
        assert descriptions["eta_seconds"] < 0  # nothing done yet: unknown
        assert llm.count("/chat/completions") == 0

        await call(client, "release_llm_lock", lease_id=held["lease_id"])
        job = await status_until(client, job_id, lambda j: j["finished"])
        assert job["state"] == "succeeded", job["message"]
        assert {(x["layer"], x["files_done"], x["waiting_reason"]) for x in layers(job).values()
                if x["layer"] != "vectors"} == {("structure", 4, ""), ("descriptions", 4, "")}


async def test_grpc_errors_become_short_actionable_tool_errors(workspace):
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port) as client:
        text = await failure(client, "search_code", query="x", workspace="nope")
        assert "NOT_FOUND" in text and "leave workspace empty" in text
        text = await failure(client, "get_ingest_status", job_id="no-such-job")
        assert "NOT_FOUND" in text and "without job_id" in text
        text = await failure(client, "get_ingest_status")
        assert "NOT_FOUND" in text and "start_ingest" in text
        text = await failure(client, "release_llm_lock", lease_id="not-a-lease")
        assert "FAILED_PRECONDITION" in text and "get_llm_lock_status" in text
        text = await failure(client, "search_code", query="x", page_token="garbage")
        assert "INVALID_ARGUMENT" in text and "page_token" in text
        text = await failure(client, "search_code", query="x", page_size=51)
        assert "page_size" in text  # the input schema's limit, checked before any call
        text = await failure(client, "acquire_llm_lock", holder="")
        assert "holder" in text
        assert len(text) < 600


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_no_server_is_a_tool_error_not_a_hang(workspace):
    async with bridge(workspace, _closed_port()) as client:
        for tool, arguments in (("get_llm_lock_status", {}), ("start_ingest", {})):
            text = await failure(client, tool, **arguments)
            assert "UNAVAILABLE" in text and "knowport serve" in text, text
        # The docs tools work without the server; a provider that fails is named with why.
        page = await call(client, "read_doc", path="README.md")
        assert "event loop" in page["text"]
        docs = await call(client, "search_docs", query="event loop")
        assert docs["provider"] == "local_index" and docs["hits"][0]["path"] == "README.md"
        nothing = await call(client, "search_docs", query="nowhere")
        assert nothing["provider"] == "local_index" and nothing["hits"] == []
        knowledge, llm = nothing["skipped"]
        assert knowledge.startswith("knowledge: failed") and "UNAVAILABLE" in knowledge
        assert llm == "llm: unavailable: not configured"
        text = await failure(client, "search_docs", query="?!")  # no words to look for
        assert "INVALID_ARGUMENT" in text


async def test_a_server_that_never_answers_fails_within_the_deadline(workspace):
    with socket.socket() as silent:  # accepts TCP connections, never speaks HTTP/2
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        async with bridge(workspace, silent.getsockname()[1],
                          MCP_DEADLINE_SECONDS="0.5") as client:
            text = await failure(client, "get_llm_lock_status")
    assert "DEADLINE_EXCEEDED" in text or "UNAVAILABLE" in text, text


async def test_read_doc_pages_a_large_file_and_stays_in_the_workspace(workspace):
    async with bridge(workspace, _closed_port()) as client:
        text, start, pages = "", 1, 0
        while start:
            page = await call(client, "read_doc", path="docs/guide.md", start_line=start)
            assert page["start_line"] == start
            assert page["end_line"] - start + 1 == page["text"].count("\n")
            text += page["text"]
            start, pages = page["next_start_line"], pages + 1
            assert page["truncated"] == bool(start)
        assert text == GUIDE and pages > 4
        short = await call(client, "read_doc", path="docs/guide.md", start_line=10, max_chars=100)
        assert short["text"].startswith("Line 10:") and short["next_start_line"] == 11

        (workspace / "pkg" / "escape.md").symlink_to(workspace.parent / "elsewhere.md")
        (workspace.parent / "elsewhere.md").write_text("TOP SECRET\n")
        for path in ("../elsewhere.md", str(workspace.parent / "elsewhere.md"), "pkg/escape.md",
                     "missing.md"):  # an absolute path only inside the workspace
            text = await failure(client, "read_doc", path=path)
            assert "TOP SECRET" not in text
            assert text.split(": ", 1)[1].startswith(("INVALID_ARGUMENT", "NOT_FOUND")), text


async def test_the_bridge_sends_the_servers_access_token(workspace):
    async with running_server(MemoryStorage(), workspace, KNOWPORT_AUTH_TOKEN="tok") as server:
        async with bridge(workspace, server.running.port, KNOWPORT_AUTH_TOKEN="") as client:
            text = await failure(client, "get_llm_lock_status")
            assert "UNAUTHENTICATED" in text and "KNOWPORT_AUTH_TOKEN" in text
        async with bridge(workspace, server.running.port, KNOWPORT_AUTH_TOKEN="tok") as client:
            assert (await call(client, "get_llm_lock_status"))["locked"] is False
