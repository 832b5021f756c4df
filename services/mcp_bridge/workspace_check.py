"""Which workspace the bridge's tools mean: the one of its own WORKSPACE, checked at start.

The bridge reads documents from WORKSPACE on its own disk (search_docs, read_doc) and asks the
server about code. If the server did not index that folder, the two would answer about
different repositories; so the tools name the bridge's workspace on every call instead of
the server's default, and the start says plainly when the server does not know it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from clients import AsyncKnowportClient, KnowportRpcError
from services.domain.models import workspace_id_for

log = logging.getLogger(__name__)


async def bridge_workspace(client: AsyncKnowportClient, root: Path, address: str) -> str:
    """The id the tools send as their default `workspace`: WORKSPACE's, or "" (the server's
    default) for a server without WorkspaceService. Logs whether the server knows it."""
    workspace_id = workspace_id_for(str(root))
    try:
        known = (await client.get_workspace(workspace_id)).workspace
    except KnowportRpcError as err:
        if err.code.name == "NOT_FOUND":
            log.error("WORKSPACE %s (workspace %s) is not one of the server's workspaces at %s; "
                      "code tools will fail until it is: register it with `knowport workspace "
                      "add %s`, or set WORKSPACE to a root the server indexes "
                      "(`knowport workspace list`)", root, workspace_id, address, root)
            return workspace_id
        if err.code.name == "UNIMPLEMENTED":
            log.warning("the server at %s has no WorkspaceService; code tools use its default "
                        "workspace, which may not be WORKSPACE %s", address, root)
            return ""
        log.warning("could not check WORKSPACE %s against the server at %s (%s); code tools "
                    "will name workspace %s", root, address, err.message, workspace_id)
        return workspace_id
    log.info("WORKSPACE %s is the server's workspace %s", root, known.id)
    return workspace_id
