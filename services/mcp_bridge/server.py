"""The MCP server: Knowledge Port's tools over the SDK's `MCPServer`.

`build_server(settings)` returns a server whose lifespan owns the gRPC client (one channel to
GRPC_HOST:GRPC_PORT, KNOWPORT_AUTH_TOKEN on every call when set, every call with
MCP_DEADLINE_SECONDS), the local docs index over
WORKSPACE and the docs search chain (with its LLM client when OPENAI_API_BASE is set).
Transports are in `services.mcp_bridge.transport`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from clients import AsyncKnowportClient, tls
from services.config import Settings
from services.mcp_bridge.bridge import Bridge
from services.mcp_bridge.docs_index import DocsIndex
from services.mcp_bridge.refresh import REFRESH_TOOLS
from services.mcp_bridge.result_cap import MAX_RESULT_CHARS
from services.mcp_bridge.search_chain import build_search_chain
from services.mcp_bridge.symbol_tools import SYMBOL_TOOLS
from services.mcp_bridge.tool_errors import invalid_arguments
from services.mcp_bridge.tools import TOOLS
from services.mcp_bridge.workspace_check import bridge_workspace

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
Knowledge Port knows this code base: an index of its functions, classes and doc sections with \
what each does. Start with get_project_overview in an unfamiliar repository; find code with \
search_code and read it with get_file_context; find documentation with search_docs and read it \
with read_doc. After editing files, call refresh_files with their paths so that search sees \
the new text at once. Before a long stretch of work on the LLM the indexer shares, take the \
lock with acquire_llm_lock and release it when done. Results are capped at 50,000 characters: \
when one says truncated, continue with the token, offset or line it gives. A tool error starts \
with a status code and says what to do."""


def _version() -> str:
    try:
        return metadata.version("knowport")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


class _BridgeServer(MCPServer):
    """The SDK's server, with arguments that fail a tool's input schema reported in one line
    (the SDK puts pydantic's multi-line text, with a URL per error, in the tool error)."""

    async def call_tool(self, name, arguments, context=None):
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as err:
            if not isinstance(err.__cause__, ValidationError):
                raise
            raise ToolError(f"Error executing tool {name}: "
                            f"{invalid_arguments(err.__cause__)}") from err.__cause__


def build_server(settings: Settings, *, max_result_chars: int = MAX_RESULT_CHARS) -> MCPServer:
    runtime, mcp = settings.runtime, settings.mcp
    address = f"{runtime.grpc_host}:{runtime.grpc_port}"

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[Bridge]:
        tls_files = runtime.client_tls_files
        client = AsyncKnowportClient(address, timeout=mcp.mcp_deadline_seconds,
                                     token=runtime.knowport_auth_token.get_secret_value(),
                                     credentials=tls(*tls_files) if tls_files else None)
        try:
            docs = DocsIndex(runtime.workspace, mcp.docs_patterns,
                             max_file_bytes=mcp.mcp_docs_max_file_bytes,
                             cache_size_limit=mcp.mcp_docs_cache_files,
                             cache_max_chars=mcp.mcp_docs_cache_chars)
            bridge = Bridge(client=client, address=address, deadline=mcp.mcp_deadline_seconds,
                            docs=docs, max_result_chars=max_result_chars)
            searcher = bridge.searcher = build_search_chain(bridge, settings)
            bridge.workspace = await bridge_workspace(client, runtime.workspace, address)
            log.info("MCP bridge ready: server %s, docs of %s (%s)", address, runtime.workspace,
                     ", ".join(mcp.docs_patterns))
            try:
                yield bridge
            finally:
                await searcher.close()  # the LLM provider's HTTP client
        finally:
            await client.close()

    server = _BridgeServer("knowport", title="Knowledge Port", version=_version(),
                       instructions=INSTRUCTIONS, lifespan=lifespan)
    for function, title, hints in (*TOOLS, *SYMBOL_TOOLS, *REFRESH_TOOLS):
        server.add_tool(function, title=title, annotations=hints,
                        description=inspect.cleandoc(function.__doc__ or ""))
    return server
