"""`knowport mcp` over streamable HTTP as a real subprocess: the SDK's HTTP client calls a tool;
a foreign Origin or Host is refused; with MCP_TOKEN, only the right bearer token gets in."""

from __future__ import annotations

import os
import re
import subprocess
import threading

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.process import start_serve, tool

TOKEN = "s3cret-token"
BANNER = re.compile(r"knowport mcp serving on (http://\S+/mcp)")
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "probe", "version": "1"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def bridge_url(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("ws")
    (workspace / "README.md").write_text("# Demo\n\nLeases are renewed by the reconciler.\n")
    served = start_serve({"STORAGE_TYPE": "memory", "KNOWPORT_INGEST_ON_START": "false",
                          "WORKSPACE": str(workspace)})
    host, port = served.address.rsplit(":", 1)
    env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(workspace),
           "MCP_TRANSPORT": "http", "MCP_HTTP_PORT": "0", "MCP_TOKEN": TOKEN}
    bridge = subprocess.Popen([tool("knowport"), "mcp"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        for line in bridge.stdout:
            lines.append(line)
            if not url and (m := BANNER.search(line)):
                url.append(m.group(1))
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert found.wait(60) and url, "knowport mcp printed no address:\n" + "".join(lines)
        yield url[0]
    finally:
        bridge.terminate()
        code = bridge.wait(30)
        assert served.stop() == 0
    assert code == 0, "".join(lines)


async def test_the_sdk_client_calls_tools_with_the_token(bridge_url):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http, \
            Client(streamable_http_client(bridge_url, http_client=http)) as client:
        assert "search_docs" in {t.name for t in (await client.list_tools()).tools}
        lock = await client.call_tool("get_llm_lock_status", {})
        assert not lock.is_error and lock.structured_content["locked"] is False
        found = await client.call_tool("search_docs", {"query": "reconciler"})
        assert found.structured_content["hits"][0]["path"] == "README.md"


def post(url: str, **headers: str) -> httpx.Response:
    return httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)


def test_foreign_origins_and_hosts_are_refused_even_with_the_token(bridge_url):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert post(bridge_url, Origin="http://evil.example", **auth).status_code == 403
    assert post(bridge_url, Origin="http://localhost.evil.example", **auth).status_code == 403
    assert post(bridge_url, Origin="http://evil.example").status_code == 403  # before the token
    assert post(bridge_url, Host="evil.example", **auth).status_code == 421
    allowed = post(bridge_url, Origin="http://localhost:3000", **auth)
    assert allowed.status_code == 200 and "knowport" in allowed.text


def test_a_missing_or_wrong_token_is_unauthorized(bridge_url):
    missing = post(bridge_url)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert post(bridge_url, Authorization="Bearer wrong").status_code == 401
    assert post(bridge_url, Authorization=TOKEN).status_code == 401  # no scheme
    assert post(bridge_url, Authorization=f"Bearer {TOKEN}").status_code == 200
