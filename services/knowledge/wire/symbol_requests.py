"""The symbol-graph RPCs of KnowledgeService (FindSymbols, FindReferences, GetCallGraph,
GetImpact): request checks, the queries (services/knowledge/symbols/) and their responses
(symbols.py). KnowledgeServicer inherits them."""

from __future__ import annotations

from grpc.aio import ServicerContext

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain import limits
from services.domain.errors import InvalidArgument
from services.domain.path_glob import glob_to_regex
from services.domain.symbol_queries import DefinitionMatch
from services.knowledge import paths
from services.knowledge.symbols import call_graph as graphs
from services.knowledge.symbols import references as refs
from services.knowledge.symbols.resolve import Resolution, ranked_candidates
from services.knowledge.symbols.snippets import line_snippets
from services.knowledge.wire import kinds
from services.knowledge.wire import symbols as wire
from services.rpc import paging
from services.rpc.requests import WorkspaceResolver, bounded_text, enum_value, page_size
from services.rpc.response_cap import asked_budget

_DIRECTIONS = {pb.CALL_DIRECTION_UNSPECIFIED: graphs.CALLERS,
               pb.CALL_DIRECTION_CALLERS: graphs.CALLERS,
               pb.CALL_DIRECTION_CALLEES: graphs.CALLEES}


def _name(value: str, field: str, *, required: bool = False) -> str:
    return bounded_text(value, field, max_bytes=limits.SYMBOL_NAME_BYTES,
                        required=required).strip()


def _path(value: str, root: str) -> str:
    bounded_text(value, "path", max_bytes=limits.PATH_BYTES, required=True)
    return paths.normalise(value, root)


def _symbol_kinds(values) -> tuple[str, ...]:
    if len(values) > limits.MAX_KINDS:
        raise InvalidArgument(f"kinds has more than {limits.MAX_KINDS} entries",
                              metadata={"field": "kinds"})
    for value in values:
        enum_value(value, pb.SymbolKind, "kinds", allow_unspecified=False)
    return tuple(sorted({kinds.FROM_PROTO[v] for v in values}))


def _reference_kinds(values) -> tuple[str, ...]:
    if len(values) > limits.MAX_REFERENCE_KINDS:
        raise InvalidArgument(f"reference_kinds has more than {limits.MAX_REFERENCE_KINDS} "
                              "entries", metadata={"field": "reference_kinds"})
    for value in values:
        enum_value(value, pb.ReferenceKind, "reference_kinds", allow_unspecified=False)
    return tuple(sorted({wire.REFERENCE_KINDS_FROM_PROTO[v] for v in values}))


def _one_of(request, fields: tuple[str, ...]) -> str:
    given = [f for f in fields if getattr(request, f).strip()]
    if len(given) != 1:
        raise InvalidArgument(f"give exactly one of {', '.join(fields)}",
                              metadata={"field": fields[0]})
    return given[0]


class SymbolRequests:
    _symbols: refs.SymbolIndex
    _workspaces: WorkspaceResolver
    _budget: int

    async def FindSymbols(self, request: pb.FindSymbolsRequest,
                          context: ServicerContext) -> pb.FindSymbolsResponse:
        field = _one_of(request, ("name", "prefix", "qualified_name"))
        value = _name(getattr(request, field), field)
        bounded_text(request.path_glob, "path_glob", max_bytes=limits.PATH_GLOB_BYTES)
        if request.path_glob:
            glob_to_regex(request.path_glob)  # InvalidArgument for a malformed glob
        size = page_size(request.page_size, limits.SYMBOLS_PAGE)
        match = DefinitionMatch(names=(value,) if field == "name" else (),
                                prefix=value if field == "prefix" else "",
                                qualified_names=(value,) if field == "qualified_name" else (),
                                kinds=_symbol_kinds(request.kinds), path_glob=request.path_glob)
        workspace = await self._workspaces.resolve(request.workspace)
        owner = paging.fingerprint("symbols", workspace.id, field, value, match.kinds,
                                   match.path_glob)
        offset = paging.decode_token(request.page_token, owner, int) or 0
        found = await self._symbols.find_definitions(workspace.id, match, size + 1, offset)
        return wire.symbols_response(found[:size], offset, len(found) > size,
                                     asked_budget(context, self._budget),
                                     lambda at: paging.encode_token(at, owner))

    async def FindReferences(self, request: pb.FindReferencesRequest,
                             context: ServicerContext) -> pb.FindReferencesResponse:
        field = _one_of(request, ("name", "qualified_name"))
        kinds_wanted = _reference_kinds(request.reference_kinds)
        size = page_size(request.page_size, limits.REFERENCES_PAGE)
        workspace = await self._workspaces.resolve(request.workspace)
        target = None
        if field == "name":
            if request.path:
                raise InvalidArgument("path goes with qualified_name, not with name",
                                      metadata={"field": "path"})
            name = _name(request.name, "name")
            found = await refs.references_of_name(self._symbols, workspace.id, name,
                                                  kinds_wanted)
            owner = paging.fingerprint("refs", workspace.id, name, kinds_wanted)
        else:
            qualified = _name(request.qualified_name, "qualified_name")
            path = _path(request.path, workspace.root)
            targets = await refs.definitions_named(self._symbols, workspace.id, qualified, path)
            target = targets[0]
            found = await refs.references_to(self._symbols, workspace.id, targets, kinds_wanted)
            owner = paging.fingerprint("refs", workspace.id, qualified, path, kinds_wanted)
        offset = paging.decode_token(request.page_token, owner, int) or 0
        page, snippets = await self._page(workspace.id, found, offset, size)
        return wire.references_response(target, page, offset, len(found), snippets,
                                        asked_budget(context, self._budget),
                                        lambda at: paging.encode_token(at, owner))

    async def GetCallGraph(self, request: pb.GetCallGraphRequest,
                           context: ServicerContext) -> pb.GetCallGraphResponse:
        qualified = _name(request.qualified_name, "qualified_name", required=True)
        direction = _DIRECTIONS[enum_value(request.direction, pb.CallDirection, "direction")]
        depth = page_size(request.depth, limits.CALL_GRAPH_DEPTH, "depth")
        max_nodes = page_size(request.max_nodes, limits.CALL_GRAPH_NODES, "max_nodes")
        workspace = await self._workspaces.resolve(request.workspace)
        path = _path(request.path, workspace.root)
        roots = await refs.definitions_named(self._symbols, workspace.id, qualified, path)
        graph = await graphs.call_graph(self._symbols, workspace.id, roots[0], direction,
                                        depth, max_nodes)
        return wire.call_graph_response(graph, asked_budget(context, self._budget))

    async def GetImpact(self, request: pb.GetImpactRequest,
                        context: ServicerContext) -> pb.GetImpactResponse:
        for field in ("start_line", "end_line"):
            if getattr(request, field) < 0:
                raise InvalidArgument(f"{field} must not be negative", metadata={"field": field})
        if request.end_line and request.end_line < request.start_line:
            raise InvalidArgument("end_line is before start_line", metadata={"field": "end_line"})
        size = page_size(request.page_size, limits.REFERENCES_PAGE)
        workspace = await self._workspaces.resolve(request.workspace)
        path = _path(request.path, workspace.root)
        owner = paging.fingerprint("impact", workspace.id, path, request.start_line,
                                   request.end_line)
        offset = paging.decode_token(request.page_token, owner, int) or 0
        defined, found = await refs.impact(self._symbols, workspace.id, path,
                                           request.start_line, request.end_line)
        page, snippets = await self._page(workspace.id, found, offset, size)
        return wire.impact_response(defined, page, offset, len(found), snippets,
                                    asked_budget(context, self._budget),
                                    lambda at: paging.encode_token(at, owner))

    async def _page(self, workspace_id: str, found: list[Resolution], offset: int, size: int
                    ) -> tuple[list[Resolution], dict[tuple[str, int], str]]:
        """One page of references, candidates ranked, with the text of their lines."""
        page = await ranked_candidates(self._symbols, workspace_id, found[offset:offset + size],
                                       wire.MAX_CANDIDATES)
        return page, await line_snippets(self._symbols, workspace_id,
                                         [r.reference for r in page])
