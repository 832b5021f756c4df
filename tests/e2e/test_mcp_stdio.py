"""`knowport mcp` as an MCP host starts it: a real subprocess over stdio (the SDK's stdio client)
against a real `knowport serve`."""

from __future__ import annotations

import os
import subprocess

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support.process import start_serve, tool


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("ws")
    (workspace / "README.md").write_text("# Demo\n\nLeases are renewed by the reconciler.\n")
    proc = start_serve({"STORAGE_TYPE": "memory", "KNOWPORT_INGEST_ON_START": "false",
                        "WORKSPACE": str(workspace)})
    yield proc, workspace
    assert proc.stop() == 0


def bridge_env(served) -> dict[str, str]:
    proc, workspace = served
    host, port = proc.address.rsplit(":", 1)
    return {"GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(workspace),
            "LOG_LEVEL": "INFO"}


async def test_a_host_lists_the_tools_and_calls_them_over_stdio(served, tmp_path):
    transport_errors: list[Exception] = []

    async def on_message(message) -> None:  # anything on stdout that is not protocol
        if isinstance(message, Exception):
            transport_errors.append(message)

    params = StdioServerParameters(command=tool("knowport"), args=["mcp"],
                                   env=bridge_env(served), cwd=str(tmp_path))
    with open(tmp_path / "stderr.log", "w") as errlog:  # noqa: ASYNC230 -- a local file, once
        async with Client(stdio_client(params, errlog=errlog),
                          message_handler=on_message) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"search_docs", "read_doc", "get_llm_lock_status", "search_code",
                    "acquire_llm_lock", "start_ingest"} <= names
            found = await client.call_tool("search_docs", {"query": "renewed reconciler"})
            assert not found.is_error, found.content[0].text
            assert found.structured_content["hits"][0]["path"] == "README.md"
            lock = await client.call_tool("get_llm_lock_status", {})
            assert not lock.is_error and lock.structured_content["locked"] is False
    assert transport_errors == []
    log = (tmp_path / "stderr.log").read_text()
    assert "serving MCP over stdio" in log and "MCP bridge ready" in log


def test_nothing_but_protocol_reaches_stdout(served, tmp_path):
    # Start-up and shutdown with no messages at all: stdout must stay empty.
    result = subprocess.run([tool("knowport"), "mcp"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, **bridge_env(served)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "serving MCP over stdio" in result.stderr
