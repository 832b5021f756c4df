"""KnowledgeService over gRPC.

Retrieval has not landed yet: every RPC validates its request (so bad input already gets the
right status) and then answers UNIMPLEMENTED rather than a made-up result.
"""

from __future__ import annotations

from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from services.domain.errors import InvalidArgument, NotImplementedYet
from services.rpc.requests import WorkspaceResolver, bounded_text, enum_value, page_size

_NOT_YET = "retrieval is not available in this build yet"


def validate_filter(flt: pb.SearchFilter) -> None:
    bounded_text(flt.path_glob, "filter.path_glob", max_bytes=512)
    if len(flt.languages) > 32:
        raise InvalidArgument("filter.languages has more than 32 entries",
                              metadata={"field": "filter.languages"})
    if len(flt.kinds) > 16:
        raise InvalidArgument("filter.kinds has more than 16 entries",
                              metadata={"field": "filter.kinds"})
    for kind in flt.kinds:
        enum_value(kind, pb.SymbolKind, "filter.kinds", allow_unspecified=False)


def validate_path(path: str) -> None:
    bounded_text(path, "path", max_bytes=4096, required=True)
    if "\0" in path:
        raise InvalidArgument("path contains a NUL byte", metadata={"field": "path"})


class KnowledgeServicer(pb_grpc.KnowledgeServiceServicer):
    def __init__(self, workspaces: WorkspaceResolver) -> None:
        self._workspaces = workspaces

    async def Search(self, request: pb.SearchRequest, context) -> pb.SearchResponse:
        bounded_text(request.query, "query", max_bytes=2000, required=True)
        enum_value(request.mode, pb.SearchMode, "mode")
        page_size(request.page_size, default=10, maximum=50)
        validate_filter(request.filter)
        await self._workspaces.resolve(request.workspace)
        raise NotImplementedYet(f"Search: {_NOT_YET}")

    async def GetFileContext(self, request: pb.GetFileContextRequest,
                             context) -> pb.GetFileContextResponse:
        validate_path(request.path)
        for field in ("start_line", "end_line"):
            if getattr(request, field) < 0:
                raise InvalidArgument(f"{field} must not be negative", metadata={"field": field})
        await self._workspaces.resolve(request.workspace)
        raise NotImplementedYet(f"GetFileContext: {_NOT_YET}")

    async def GetOverview(self, request: pb.GetOverviewRequest, context) -> pb.GetOverviewResponse:
        if request.max_depth < 0:
            raise InvalidArgument("max_depth must not be negative", metadata={"field": "max_depth"})
        await self._workspaces.resolve(request.workspace)
        raise NotImplementedYet(f"GetOverview: {_NOT_YET}")
