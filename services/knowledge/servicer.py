"""KnowledgeService over gRPC: validates requests, converts them, and calls retrieval.

Search ranks in search.py, file context and overview are gathered in file_context.py and
overview.py, and every response is built to the byte budget in wire/. Paths from requests go
through paths.py before anything else sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from grpc.aio import ServicerContext

from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from services.domain import limits
from services.domain.errors import InvalidArgument
from services.domain.models import FileRecord, ScoredChunk, SearchFilters, Workspace
from services.domain.path_glob import glob_to_regex
from services.knowledge import file_context, paths, priors
from services.knowledge.across import Across, named_across, untag
from services.knowledge.named import named_in
from services.knowledge.overview import OverviewCache
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.search import Mode, Searcher, SearchQuery
from services.knowledge.wire import kinds
from services.knowledge.wire.file_context import file_context_response
from services.knowledge.wire.hits import search_response
from services.knowledge.wire.overview import overview_response
from services.knowledge.wire.symbol_requests import SymbolRequests
from services.rpc import paging
from services.rpc.requests import (
    WorkspaceResolver,
    bounded_text,
    enum_value,
    known_names,
    page_size,
)
from services.rpc.response_cap import asked_budget
from services.storage.port import ChunkLayers, ChunkSearch, Files, Symbols
from services.workspace_files.languages import known_languages, language_for

_MODES = {pb.SEARCH_MODE_UNSPECIFIED: Mode.HYBRID, pb.SEARCH_MODE_HYBRID: Mode.HYBRID,
          pb.SEARCH_MODE_LEXICAL: Mode.LEXICAL, pb.SEARCH_MODE_SEMANTIC: Mode.SEMANTIC}
_ROLES = {pb.FILE_ROLE_TESTS: priors.TESTS, pb.FILE_ROLE_DOCS: priors.DOCS}


def validate_filter(flt: pb.SearchFilter) -> SearchFilters:
    bounded_text(flt.path_glob, "filter.path_glob", max_bytes=limits.PATH_GLOB_BYTES)
    if flt.path_glob:
        glob_to_regex(flt.path_glob)  # raises InvalidArgument for a malformed glob
    if len(flt.languages) > limits.MAX_LANGUAGES:
        raise InvalidArgument(f"filter.languages has more than {limits.MAX_LANGUAGES} entries",
                              metadata={"field": "filter.languages"})
    for language in flt.languages:
        bounded_text(language, "filter.languages", max_bytes=limits.LANGUAGE_BYTES)
    if len(flt.kinds) > limits.MAX_KINDS:
        raise InvalidArgument(f"filter.kinds has more than {limits.MAX_KINDS} entries",
                              metadata={"field": "filter.kinds"})
    for kind in flt.kinds:
        enum_value(kind, pb.SymbolKind, "filter.kinds", allow_unspecified=False)
    languages = sorted({lang.strip().lower() for lang in flt.languages if lang.strip()})
    known_names(languages, known_languages(), "filter.languages", hint=_language_hint)
    return SearchFilters(
        path_glob=flt.path_glob,
        languages=tuple(languages),
        kinds=tuple(sorted({kinds.FROM_PROTO[k] for k in flt.kinds})))


def validate_exclude_roles(flt: pb.SearchFilter) -> frozenset[str]:
    """The roles (priors.ROLES) whose chunks the search leaves out."""
    if len(flt.exclude_roles) > len(_ROLES):
        raise InvalidArgument(f"filter.exclude_roles has more than {len(_ROLES)} entries",
                              metadata={"field": "filter.exclude_roles"})
    for role in flt.exclude_roles:
        enum_value(role, pb.FileRole, "filter.exclude_roles", allow_unspecified=False)
    return frozenset(_ROLES[role] for role in flt.exclude_roles)


def _language_hint(name: str) -> str:
    """' (did you mean python?)' when `name` is a file extension ("py") of a language."""
    language = language_for(f"x.{name}")
    return f" (did you mean {language!r}?)" if language != "text" else ""


def validate_path(path: str, root: str = "") -> str:
    """The workspace-relative form of a requested path (an absolute one inside `root` too)."""
    bounded_text(path, "path", max_bytes=limits.PATH_BYTES, required=True)
    return paths.normalise(path, root)


class _Index(ChunkSearch, ChunkLayers, Files, Symbols, Protocol):
    """What retrieval reads: the rankings, files with their chunks, and their symbols."""


class KnowledgeServicer(SymbolRequests, pb_grpc.KnowledgeServiceServicer):
    def __init__(self, storage: _Index, workspaces: WorkspaceResolver, *, budget_bytes: int,
                 query_embedder: QueryEmbedder | None = None) -> None:
        self._storage = storage
        self._workspaces = workspaces
        self._budget = budget_bytes
        self._query_embedder = query_embedder
        self._searcher = Searcher(storage, query_embedder, named=named_in(storage))
        self._overviews = OverviewCache(storage)
        self._symbols = storage

    async def Search(self, request: pb.SearchRequest,
                     context: ServicerContext) -> pb.SearchResponse:
        bounded_text(request.query, "query", max_bytes=limits.QUERY_BYTES, required=True)
        mode = _MODES[enum_value(request.mode, pb.SearchMode, "mode")]
        size = page_size(request.page_size, limits.SEARCH_PAGE)
        filters = validate_filter(request.filter)
        exclude = validate_exclude_roles(request.filter)
        for name in request.workspaces:
            bounded_text(name, "workspaces", max_bytes=limits.WORKSPACE_BYTES, required=True)
        # `workspace` and `workspaces` together mean their union; neither, the default.
        named = [request.workspace] if request.workspace else []
        workspaces = await self._workspaces.resolve_many([*named, *request.workspaces])
        ids = [w.id for w in workspaces]
        owner = paging.fingerprint("search", *ids, request.query, mode.value,
                                   filters.path_glob, filters.languages, filters.kinds,
                                   *sorted(exclude))
        offset = paging.decode_token(request.page_token, owner, int) or 0
        searcher = (self._searcher if len(ids) == 1
                    else Searcher(Across(self._storage, ids), self._query_embedder,
                                  named=named_across(self._storage, ids)))
        page = await searcher.search(SearchQuery(ids[0], request.query, mode, filters, offset,
                                                 size, exclude))
        page.hits = [untag(hit, ids[0]) for hit in page.hits]
        is_stale = await self._staleness(workspaces, page.hits)
        return search_response(page, offset, asked_budget(context, self._budget), is_stale,
                               lambda position: paging.encode_token(position, owner),
                               request.query)

    async def _staleness(self, workspaces: list[Workspace],
                         hits: list[ScoredChunk]) -> Callable[[ScoredChunk], bool]:
        """Whether a hit's file changed on disk since it was indexed, each file stat-ed once,
        inside its own workspace's root."""
        roots = {w.id: w.root for w in workspaces}
        records: dict[str, dict[str, FileRecord]] = {}
        for workspace_id in roots:
            paths_here = {h.chunk.path for h in hits if h.workspace == workspace_id}
            if paths_here:
                records[workspace_id] = await self._storage.get_files(workspace_id, paths_here)
        disks = {workspace_id: paths.DiskCheck(root) for workspace_id, root in roots.items()}
        stale: dict[tuple[str, str], bool] = {}

        def is_stale(hit: ScoredChunk) -> bool:
            key = (hit.workspace, hit.chunk.path)
            if key not in stale:
                record = records.get(hit.workspace, {}).get(hit.chunk.path)
                stale[key] = record is None or disks[hit.workspace].stale(record)
            return stale[key]

        return is_stale

    async def GetFileContext(self, request: pb.GetFileContextRequest,
                             context: ServicerContext) -> pb.GetFileContextResponse:
        if not request.path.startswith("/"):  # an absolute path needs the workspace's root
            validate_path(request.path)
        for field in ("start_line", "end_line", "start_column"):
            if getattr(request, field) < 0:
                raise InvalidArgument(f"{field} must not be negative", metadata={"field": field})
        workspace = await self._workspaces.resolve(request.workspace)
        path = validate_path(request.path, workspace.root)
        record, chunks = await file_context.load(self._storage, workspace.id, path)
        owner = paging.fingerprint("file", workspace.id, path)
        position = paging.decode_token(request.page_token, owner, int)
        if position is None:
            position = file_context.first_chunk_at(chunks, request.start_line or 1,
                                                   request.start_column)
        stale = paths.DiskCheck(workspace.root).stale(record)
        return file_context_response(
            record, chunks, stale,
            file_context.LineRange(request.start_line, request.end_line, request.start_column),
            min(position, len(chunks)), asked_budget(context, self._budget),
            lambda index: paging.encode_token(index, owner))

    async def GetOverview(self, request: pb.GetOverviewRequest,
                          context: ServicerContext) -> pb.GetOverviewResponse:
        if request.max_depth < 0:
            raise InvalidArgument("max_depth must not be negative", metadata={"field": "max_depth"})
        workspace = await self._workspaces.resolve(request.workspace)
        overview = await self._overviews.get(workspace.id)
        return overview_response(workspace.id, workspace.root, overview,
                                 limits.OVERVIEW_DEPTH.of(request.max_depth),
                                 asked_budget(context, self._budget))
