"""The `refresh_files` tool: an agent that knows what it changed has just those files indexed
again at once (StartIngest with `paths`), and hears back when they are searchable."""

from __future__ import annotations

import asyncio
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from services.domain import limits
from services.mcp_bridge import from_wire
from services.mcp_bridge.bridge import Bridge, bridge_of
from services.mcp_bridge.tool_results import IngestJobResult
from services.mcp_bridge.tools import Workspace

WAIT_SECONDS = 30.0  # how long the tool waits for its job; then it returns the job running
POLL_SECONDS = 0.05
_TRIES = 3  # joined a running job: start again once it ends (it need not cover these paths)

Path = Annotated[str, Field(min_length=1, max_length=limits.PATH_BYTES)]


async def refresh_files(
    ctx: Context,
    paths: Annotated[list[Path], Field(min_length=1, max_length=limits.INGEST_PATHS, description=(
        "Files you changed, created, renamed (old and new) or deleted: relative to the "
        "workspace or absolute inside it; a folder stands for every file below it"))],
    workspace: Workspace = "",
) -> Annotated[CallToolResult, IngestJobResult]:
    """Index just these files again, now: call it right after you edit, create, rename or
    delete files, so that search_code and get_file_context answer with the new text.

    Only the named files are read (a deleted one leaves the index), which takes well under a
    second. The tool waits until they are indexed (up to 30 s; else it returns the running
    job, to follow with get_ingest_status). Ignored or secret-looking files are listed in
    skipped_files with the reason.
    """
    bridge = bridge_of(ctx)
    for _ in range(_TRIES):
        started = await bridge.rpc(bridge.client.start_ingest, paths=paths, workspace=workspace)
        job = await _ended(bridge, started.job)
        if not started.joined or not from_wire.job(job).finished:
            break
    return bridge.fit(IngestJobResult(job=from_wire.job(job), joined=started.joined))


async def _ended(bridge: Bridge, job):
    """The job once finished, or as it is after WAIT_SECONDS."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not from_wire.job(job).finished and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        job = (await bridge.rpc(bridge.client.ingest_job, job.job_id)).job
    return job


REFRESH_TOOLS = (
    (refresh_files, "Refresh files", ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False)),
)
