"""The symbol graph's responses, built to the byte budget (fit.py): definitions, references
grouped by file, call graphs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain import symbols as sym
from services.domain.symbols import SymbolDefinition
from services.knowledge.symbols.call_graph import CallGraph
from services.knowledge.symbols.resolve import AMBIGUOUS, RESOLVED, Resolution
from services.knowledge.wire import kinds
from services.knowledge.wire.fit import (
    RESERVE_BYTES,
    Room,
    entry_size,
    field_size,
    fill,
    safe_text,
    utf8_size,
    varint_size,
)

REFERENCE_KINDS = {sym.CALL: pb.REFERENCE_KIND_CALL, sym.IMPORT: pb.REFERENCE_KIND_IMPORT,
                   sym.INHERITANCE: pb.REFERENCE_KIND_INHERITANCE,
                   sym.TYPE_USE: pb.REFERENCE_KIND_TYPE, sym.OTHER: pb.REFERENCE_KIND_OTHER}
REFERENCE_KINDS_FROM_PROTO = {v: k for k, v in REFERENCE_KINDS.items()}
_STATUSES = {RESOLVED: pb.RESOLUTION_RESOLVED, AMBIGUOUS: pb.RESOLUTION_AMBIGUOUS}
MAX_CANDIDATES = 5

Token = Callable[[int], str]


def definition(d: SymbolDefinition) -> pb.Definition:
    return pb.Definition(name=safe_text(d.name), qualified_name=safe_text(d.qualified_name),
                         kind=kinds.to_proto(d.kind), path=safe_text(d.path),
                         start_line=d.start_line, end_line=d.end_line,
                         signature=safe_text(d.signature))


def reference(found: Resolution, snippet: str) -> pb.Reference:
    ref = found.reference
    message = pb.Reference(
        line=ref.line, column=ref.column,
        kind=REFERENCE_KINDS.get(ref.kind, pb.REFERENCE_KIND_OTHER), name=safe_text(ref.name),
        qualifier=safe_text(ref.qualifier), scope=safe_text(ref.scope),
        snippet=safe_text(snippet),
        resolution=_STATUSES.get(found.status, pb.RESOLUTION_UNRESOLVED))
    if found.status == RESOLVED:
        message.target.CopyFrom(definition(found.candidates[0]))
    elif found.status == AMBIGUOUS:
        message.candidates.extend(definition(d) for d in found.candidates[:MAX_CANDIDATES])
    return message


def symbols_response(found: Sequence[SymbolDefinition], offset: int, more: bool,
                     budget: int, token: Token) -> pb.FindSymbolsResponse:
    room = Room(budget - RESERVE_BYTES)
    added, cut = fill(room, found, definition)
    response = pb.FindSymbolsResponse(definitions=added, truncated=cut)
    if cut or more:
        response.next_page_token = token(offset + len(added))
    return response


def fill_files(room: Room, page: Sequence[Resolution],
               snippets: Mapping[tuple[str, int], str]) -> tuple[list[pb.ReferenceFile], int]:
    """References grouped by file while they fit; returns the files and how many fit."""
    files: list[pb.ReferenceFile] = []
    # What a file's entry costs besides its references: its tag, a length prefix as long as
    # the budget's (an upper bound) and its path.
    length_prefix = 1 + varint_size(room.left)
    for count, found in enumerate(page):
        path = found.reference.path
        message = reference(found, snippets.get((path, found.reference.line), ""))
        new_file = not files or files[-1].path != path
        cost = entry_size(message) + (length_prefix + field_size(utf8_size(path))
                                      if new_file else 0)
        if not room.take(cost):
            return files, count
        if new_file:
            files.append(pb.ReferenceFile(path=safe_text(path)))
        files[-1].references.append(message)
    return files, len(page)


def references_response(target: SymbolDefinition | None, page: Sequence[Resolution],
                        offset: int, total: int, snippets: Mapping[tuple[str, int], str],
                        budget: int, token: Token) -> pb.FindReferencesResponse:
    """`page`: the references from `offset` of `total`, candidates ranked."""
    response = pb.FindReferencesResponse(total_references=total)
    room = Room(budget - RESERVE_BYTES)
    if target is not None:
        response.definition.CopyFrom(definition(target))
        room.take(field_size(response.definition.ByteSize()))
    files, count = fill_files(room, page, snippets)
    response.files.extend(files)
    response.truncated = count < len(page)
    if offset + count < total:
        response.next_page_token = token(offset + count)
    return response


def impact_response(defined: Sequence[SymbolDefinition], page: Sequence[Resolution],
                    offset: int, total: int, snippets: Mapping[tuple[str, int], str],
                    budget: int, token: Token) -> pb.GetImpactResponse:
    """`page`: the references from `offset` of `total`, candidates ranked."""
    room = Room(budget - RESERVE_BYTES)
    definitions, cut = fill(room, defined, definition)
    files, count = fill_files(room, page, snippets)
    response = pb.GetImpactResponse(definitions=definitions, files=files,
                                    truncated=cut or count < len(page),
                                    total_references=total)
    if offset + count < total:
        response.next_page_token = token(offset + count)
    return response


def call_graph_response(graph: CallGraph, budget: int) -> pb.GetCallGraphResponse:
    room = Room(budget - RESERVE_BYTES)
    nodes, nodes_cut = fill(room, graph.nodes, lambda n: pb.CallNode(
        definition=definition(n[0]), depth=n[1]))
    kept = len(nodes)
    edges, edges_cut = fill(room, (e for e in graph.edges if e.caller < kept and e.callee < kept),
                            lambda e: pb.CallEdge(caller=e.caller, callee=e.callee,
                                                  lines=e.lines, ambiguous=e.ambiguous))
    return pb.GetCallGraphResponse(nodes=nodes, edges=edges,
                                   truncated=graph.truncated or nodes_cut or edges_cut,
                                   unresolved_calls=graph.unresolved_calls)
