"""WorkspaceService over gRPC: validates requests and calls the registry (registry.py)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from grpc.aio import ServicerContext

from knowport.v1 import workspace_service_pb2 as pb
from knowport.v1 import workspace_service_pb2_grpc as pb_grpc
from services.domain import limits
from services.domain.models import Workspace
from services.rpc import paging
from services.rpc.requests import bounded_text, page_size
from services.workspaces.registry import WorkspaceRegistry


def workspace_to_proto(workspace: Workspace, default_id: str) -> pb.Workspace:
    message = pb.Workspace(id=workspace.id, root=workspace.root, display_name=workspace.name,
                           is_default=workspace.id == default_id)
    if workspace.created_at is not None:
        stamp = Timestamp()
        stamp.FromDatetime(workspace.created_at)
        message.create_time.CopyFrom(stamp)
    return message


class WorkspaceServicer(pb_grpc.WorkspaceServiceServicer):
    def __init__(self, registry: WorkspaceRegistry) -> None:
        self._registry = registry

    def _proto(self, workspace: Workspace) -> pb.Workspace:
        return workspace_to_proto(workspace, self._registry.default.id)

    async def CreateWorkspace(self, request: pb.CreateWorkspaceRequest,
                              context: ServicerContext) -> pb.CreateWorkspaceResponse:
        root = bounded_text(request.root, "root", max_bytes=limits.PATH_BYTES, required=True)
        name = bounded_text(request.display_name, "display_name",
                            max_bytes=limits.WORKSPACE_NAME_BYTES)
        workspace, created = await self._registry.create(root, name.strip())
        return pb.CreateWorkspaceResponse(workspace=self._proto(workspace), created=created)

    async def GetWorkspace(self, request: pb.GetWorkspaceRequest,
                           context: ServicerContext) -> pb.GetWorkspaceResponse:
        workspace = await self._registry.get(request.workspace or self._registry.default.id)
        return pb.GetWorkspaceResponse(workspace=self._proto(workspace))

    async def ListWorkspaces(self, request: pb.ListWorkspacesRequest,
                             context: ServicerContext) -> pb.ListWorkspacesResponse:
        size = page_size(request.page_size, limits.WORKSPACES_PAGE)
        owner = paging.fingerprint("workspaces")
        after = paging.decode_token(request.page_token, owner, str) or ""
        # A page starts after the last id shown: a workspace added or removed meanwhile
        # neither repeats nor hides another.
        listed = [w for w in await self._registry.list() if w.id > after]
        token = paging.encode_token(listed[size - 1].id, owner) if len(listed) > size else ""
        return pb.ListWorkspacesResponse(workspaces=[self._proto(w) for w in listed[:size]],
                                         next_page_token=token)

    async def DeleteWorkspace(self, request: pb.DeleteWorkspaceRequest,
                              context: ServicerContext) -> pb.DeleteWorkspaceResponse:
        workspace = await self._registry.delete(request.workspace)
        return pb.DeleteWorkspaceResponse(workspace=self._proto(workspace))
