"""The workspaces one server indexes: registered, resolved, removed, in one place.

Every request names its workspace by id (empty: the default, `WORKSPACE`); every servicer
resolves it here, so a root that vanished is FAILED_PRECONDITION wherever it is used, and a
workspace deleted by another process sharing PostgreSQL is NOT_FOUND at once. Roots are
validated by roots.py. Ids are `workspace_id_for(root)`: creating a root twice returns the
workspace made the first time.

Registration is the one place a per-workspace component hooks into: `listeners` hear each
workspace added (at start, by CreateWorkspace) and removed, so a per-workspace file watcher
(the live index) starts and stops with its workspace without touching the servicers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from services.domain import limits
from services.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from services.domain.models import Workspace, workspace_id_for
from services.storage.port import Workspaces
from services.workspaces.roots import check_not_nested, check_still_there, checked_root


class WorkspaceListener(Protocol):
    """Hears workspaces come and go (e.g. a watcher per workspace)."""

    async def workspace_added(self, workspace: Workspace) -> None: ...

    async def workspace_removed(self, workspace_id: str) -> None: ...


StopJobs = Callable[[str], Awaitable[None]]  # stops a workspace's ingest jobs, waits for them


async def _no_jobs(workspace_id: str) -> None:
    """Where this process runs no ingest service, it has no jobs to stop."""


class WorkspaceRegistry:
    """Resolves request ids to workspaces and keeps the set of roots valid."""

    def __init__(self, storage: Workspaces, default: Workspace, *,
                 stop_jobs: StopJobs = _no_jobs) -> None:
        self._storage = storage
        self.default = default
        self._default_stored = False
        self.stop_jobs = stop_jobs  # set by the server when it runs an ingest service
        self.listeners: list[WorkspaceListener] = []
        self._changing = asyncio.Lock()  # one create or delete at a time: nesting is checked whole
        self._deleting: set[str] = set()  # no new work starts in a workspace being deleted
        self.at_start: list[Workspace] = []  # registered from WORKSPACES

    async def resolve(self, name: str) -> Workspace:
        """The workspace a request names (empty: the default), its root still on disk.

        The default is stored on first use rather than at start, so a server whose storage
        came up late still knows it."""
        workspace_id = _checked_id(name) or self.default.id
        if workspace_id == self.default.id:
            await self._store_default()
            workspace = self.default
        else:
            workspace = await self._storage.get_workspace(workspace_id)
            if workspace is None:
                raise NotFound(f"unknown workspace {workspace_id!r}; leave workspace empty for "
                               f"the default one ({self.default.id!r}), or see `knowport "
                               "workspace list` for the others",
                               reason="WORKSPACE_NOT_FOUND",
                               metadata={"workspace": workspace_id})
        if workspace.id in self._deleting:
            raise FailedPrecondition(f"workspace {workspace.id!r} is being deleted",
                                     reason="WORKSPACE_DELETING",
                                     metadata={"workspace": workspace.id})
        check_still_there(workspace)
        return workspace

    async def resolve_many(self, names: Sequence[str],
                           field: str = "workspaces") -> list[Workspace]:
        """Several workspaces, each once, in the order named; none named: the default."""
        if len(names) > limits.MAX_SEARCH_WORKSPACES:
            raise InvalidArgument(
                f"{field} has more than {limits.MAX_SEARCH_WORKSPACES} entries",
                metadata={"field": field})
        found: dict[str, Workspace] = {}
        for name in names or [""]:
            workspace = await self.resolve(name)
            found.setdefault(workspace.id, workspace)
        return list(found.values())

    async def create(self, root: str, name: str = "") -> tuple[Workspace, bool]:
        """Register a root (True) or return the workspace already made for it (False)."""
        real = checked_root(root)
        async with self._changing:
            await self._store_default()
            existing = await self._storage.get_workspace(workspace_id_for(real))
            if existing is not None:
                return existing, False
            check_not_nested(real, await self._storage.list_workspaces())
            stored = await self._storage.upsert_workspace(
                Workspace(id=workspace_id_for(real), root=real, name=name))
        for listener in self.listeners:
            await listener.workspace_added(stored)
        return stored, True

    async def list(self) -> list[Workspace]:
        """Every registered workspace, by id."""
        await self._store_default()
        return await self._storage.list_workspaces()

    async def get(self, name: str) -> Workspace:
        """A workspace by id, whether or not its root is still there (to show or delete it)."""
        workspace_id = _checked_id(name, required=True)
        if workspace_id == self.default.id:
            await self._store_default()
        workspace = await self._storage.get_workspace(workspace_id)
        if workspace is None:
            raise NotFound(f"unknown workspace {workspace_id!r}", reason="WORKSPACE_NOT_FOUND",
                           metadata={"workspace": workspace_id})
        return workspace

    async def delete(self, name: str) -> Workspace:
        """Stop the workspace's jobs, then remove it and its data; the default stays."""
        workspace = await self.get(name)
        if workspace.id == self.default.id:
            raise FailedPrecondition(
                f"{workspace.id!r} is this server's default workspace (WORKSPACE); it cannot "
                "be deleted while the server serves it", reason="DEFAULT_WORKSPACE",
                metadata={"workspace": workspace.id})
        async with self._changing:
            self._deleting.add(workspace.id)
            try:
                for listener in self.listeners:
                    await listener.workspace_removed(workspace.id)
                await self.stop_jobs(workspace.id)
                await self._storage.delete_workspace(workspace.id)
            finally:
                self._deleting.discard(workspace.id)
        return workspace

    async def register_at_start(self, roots: Sequence[str]) -> list[Workspace]:
        """`WORKSPACES`: each root registered (or found) before the server serves."""
        self.at_start = [(await self.create(root))[0] for root in roots]
        return self.at_start

    async def _store_default(self) -> None:
        if not self._default_stored:
            await self._storage.upsert_workspace(self.default)
            self._default_stored = True


def _checked_id(name: str, *, required: bool = False) -> str:
    if required and not name.strip():
        raise InvalidArgument("workspace is required", metadata={"field": "workspace"})
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > limits.WORKSPACE_BYTES:
        raise InvalidArgument(f"workspace is {size} bytes; the limit is {limits.WORKSPACE_BYTES}",
                              metadata={"field": "workspace"})
    return name
