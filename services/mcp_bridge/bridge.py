"""What the bridge's lifespan owns and every tool uses: the gRPC client, the docs index, the
search chain, the deadline and the result cap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import BaseModel

from clients import AsyncKnowportClient, KnowportRpcError
from services.domain.errors import KnowportError
from services.mcp_bridge.docs_index import DocsIndex
from services.mcp_bridge.providers import SearchManager
from services.mcp_bridge.result_cap import MAX_RESULT_CHARS, fit
from services.mcp_bridge.tool_errors import describe, too_slow

log = logging.getLogger(__name__)
T = TypeVar("T")

# Extra time past the gRPC deadline before the bridge stops waiting on its own: the deadline
# should always fire first; this only guards against a call that ignores it.
_GRACE_SECONDS = 1.0

_DOC_HINTS = {
    "DOC_NOT_FOUND": "search_docs finds documents by their content",
    "DOC_ACCESS_DENIED": "only files inside the workspace can be read",
}


@dataclass
class Bridge:
    client: AsyncKnowportClient
    address: str
    deadline: float
    docs: DocsIndex
    searcher: SearchManager | None = None  # set right after: the chain calls back into this
    workspace: str = ""  # what an empty `workspace` argument means (workspace_check.py)
    max_result_chars: int = MAX_RESULT_CHARS

    async def rpc(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """One call to the server with the deadline; a failure becomes a tool error."""
        try:
            async with asyncio.timeout(self.deadline + _GRACE_SECONDS):
                return await method(*args, **kwargs)
        except KnowportRpcError as err:
            raise ToolError(describe(err, address=self.address, deadline=self.deadline)) from None
        except TimeoutError:
            raise ToolError(too_slow(self.address, self.deadline)) from None

    async def local(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A blocking call (the docs index reads files) in a worker thread; its domain errors
        become tool errors."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except KnowportError as err:
            raise ToolError(describe_domain(err)) from None
        except OSError as err:  # e.g. permission denied: the model can only pick another file
            raise ToolError(f"FAILED_PRECONDITION: cannot read it: {err.strerror or err}; "
                            "try another file") from None

    def workspace_of(self, workspace: str) -> str:
        """The workspace a tool asks about: the one named, else the bridge's own."""
        return workspace or self.workspace

    def fit(self, model: BaseModel) -> CallToolResult:
        return fit(model, self.max_result_chars)


def describe_domain(err: KnowportError) -> str:
    code = err.code
    reason = f" [{err.reason}]" if err.reason and err.reason != code else ""
    hint = _DOC_HINTS.get(err.reason, "")
    return f"{code}{reason}: {err.message}" + (f"; {hint}" if hint else "")


def bridge_of(ctx: Context) -> Bridge:
    return ctx.request_context.lifespan_context
