"""One live-update watcher per registered workspace, started and stopped with it.

The workspace registry tells its listeners of each workspace added (at start, by
CreateWorkspace) and removed (DeleteWorkspace); this listener keeps a watcher for each, so a
workspace registered while serving is as fresh after every edit as the default one.
"""

from __future__ import annotations

from collections.abc import Callable

from services.domain.models import Workspace
from services.ingestor.watcher import Watcher


class Watchers:
    """The running watchers by workspace id (a `WorkspaceListener`)."""

    def __init__(self, build: Callable[[Workspace], Watcher]) -> None:
        self._build = build
        self._running: dict[str, Watcher] = {}

    def get(self, workspace_id: str) -> Watcher | None:
        return self._running.get(workspace_id)

    async def workspace_added(self, workspace: Workspace) -> None:
        if workspace.id not in self._running:
            watcher = self._build(workspace)
            watcher.start()
            self._running[workspace.id] = watcher

    async def workspace_removed(self, workspace_id: str) -> None:
        watcher = self._running.pop(workspace_id, None)
        if watcher is not None:
            await watcher.close()

    async def close(self) -> None:
        for workspace_id in list(self._running):
            await self.workspace_removed(workspace_id)
