"""The symbol-graph tools: where a symbol is defined, where it is used, who calls it and
what it calls. Each calls one KnowledgeService RPC; results fit the cap and page on."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from services.domain import limits
from services.mcp_bridge import from_wire
from services.mcp_bridge.bridge import bridge_of
from services.mcp_bridge.symbol_results import (
    CallGraphResult,
    FindReferencesResult,
    FindSymbolResult,
    ReferenceFileView,
)
from services.mcp_bridge.tools import READ_ONLY, Kind, PageToken, Workspace, _continuation, _cursor

SymbolName = Annotated[str, Field(max_length=limits.SYMBOL_NAME_BYTES)]
ReferenceKind = Literal["call", "import", "inheritance", "type", "other"]
DefiningPath = Annotated[str, Field(max_length=limits.PATH_BYTES, description=(
    "Workspace-relative path of the file that defines qualified_name"))]


async def find_symbol(
    ctx: Context,
    name: Annotated[SymbolName, Field(description="The exact bare name, e.g. replace_file")] = "",
    prefix: Annotated[SymbolName, Field(description=(
        "Instead of name: the start of the name, case-sensitive, e.g. replace_"))] = "",
    qualified_name: Annotated[SymbolName, Field(description=(
        "Instead of name: the name within its file, e.g. Storage.replace_file"))] = "",
    kinds: Annotated[list[Kind] | None, Field(max_length=limits.MAX_KINDS, description=(
        "Only these kinds of definition"))] = None,
    path_glob: Annotated[str, Field(max_length=limits.PATH_GLOB_BYTES, description=(
        "Only files matching this glob, e.g. services/**/*.py"))] = "",
    page_size: Annotated[int, Field(ge=1, le=limits.SYMBOLS_PAGE.maximum, description=(
        "Definitions per page"))] = limits.SYMBOLS_PAGE.default,
    page_token: PageToken = "",
    workspace: Workspace = "",
) -> Annotated[CallToolResult, FindSymbolResult]:
    """Find where a function, method, class or type is defined.

    Use this when you know a symbol's name (or its start) and need its file, line span and
    signature: it looks definitions up in the symbol graph, exactly, unlike search_code's
    ranking. Give exactly one of name, prefix or qualified_name. Follow up with
    find_references or call_graph on a definition's qualified_name and path, or
    get_file_context on its lines.
    """
    bridge = bridge_of(ctx)
    server_token, skip, size = _cursor(page_token, limits.SYMBOLS_PAGE.maximum)
    size = size or page_size
    r = await bridge.rpc(bridge.client.find_symbols, name=name, prefix=prefix,
                         qualified_name=qualified_name,
                         kinds=[from_wire.KINDS[k] for k in kinds or ()], path_glob=path_glob,
                         page_size=size, page_token=server_token,
                         workspace=bridge.workspace_of(workspace))
    definitions = [from_wire.definition(d) for d in r.definitions[skip:]]
    result = FindSymbolResult(definitions=definitions, truncated=r.truncated,
                              next_page_token="")
    result.continue_with(_continuation(server_token, skip, len(definitions),
                                       r.next_page_token, size))
    return bridge.fit(result)


async def find_references(
    ctx: Context,
    name: Annotated[SymbolName, Field(description=(
        "A bare name: every use of it, each resolved or marked ambiguous"))] = "",
    qualified_name: Annotated[SymbolName, Field(description=(
        "Instead of name: a definition (with path), e.g. Storage.replace_file: the uses "
        "that mean it, and the ambiguous ones that may"))] = "",
    path: DefiningPath = "",
    kinds: Annotated[list[ReferenceKind] | None, Field(
        max_length=limits.MAX_REFERENCE_KINDS, description=(
            "Only these kinds of use, e.g. [\"call\"]"))] = None,
    page_size: Annotated[int, Field(ge=1, le=limits.REFERENCES_PAGE.maximum, description=(
        "References per page"))] = limits.REFERENCES_PAGE.default,
    page_token: PageToken = "",
    workspace: Workspace = "",
) -> Annotated[CallToolResult, FindReferencesResult]:
    """Find every place a symbol is used: calls, imports, base classes, type uses.

    Use this before changing or removing a function, method or class, to see what depends on
    it. Give a definition (qualified_name and path, as find_symbol returns them) or a bare
    name. References come grouped by file with line, column, kind and the line's text; each
    says whether it surely means the definition (resolved, through imports and enclosing
    scopes) or may mean one of several (ambiguous, candidates ranked) - never a silent
    guess.
    """
    bridge = bridge_of(ctx)
    server_token, skip, size = _cursor(page_token, limits.REFERENCES_PAGE.maximum)
    size = size or page_size
    r = await bridge.rpc(bridge.client.find_references, name=name,
                         qualified_name=qualified_name, path=path,
                         reference_kinds=[from_wire.REFERENCE_KINDS[k] for k in kinds or ()],
                         page_size=size, page_token=server_token,
                         workspace=bridge.workspace_of(workspace))
    files = _skip_references(from_wire.reference_files(r.files), skip)
    result = FindReferencesResult(
        definition=from_wire.definition(r.definition) if r.HasField("definition") else None,
        files=files, total_references=r.total_references, truncated=r.truncated,
        next_page_token="")
    result.continue_with(_continuation(server_token, skip, result._count(),
                                       r.next_page_token, size))
    return bridge.fit(result)


def _skip_references(files: list[ReferenceFileView], skip: int) -> list[ReferenceFileView]:
    """The files without their first `skip` references in all (shown by the previous call)."""
    kept = []
    for file in files:
        if skip >= len(file.references):
            skip -= len(file.references)
            continue
        kept.append(ReferenceFileView(path=file.path, references=file.references[skip:]))
        skip = 0
    return kept


async def call_graph(
    ctx: Context,
    qualified_name: Annotated[SymbolName, Field(min_length=1, description=(
        "The definition's name within its file, e.g. Storage.replace_file"))],
    path: Annotated[str, Field(min_length=1, max_length=limits.PATH_BYTES, description=(
        "Workspace-relative path of the file that defines it"))],
    direction: Annotated[Literal["callers", "callees"], Field(description=(
        "callers: who calls it (and who calls them); callees: what it calls"))] = "callers",
    depth: Annotated[int, Field(ge=1, le=limits.CALL_GRAPH_DEPTH.maximum, description=(
        "How many calls away to walk"))] = limits.CALL_GRAPH_DEPTH.default,
    max_nodes: Annotated[int, Field(ge=1, le=limits.CALL_GRAPH_NODES.maximum, description=(
        "The most definitions to return, the root included"))] = limits.CALL_GRAPH_NODES.default,
    workspace: Workspace = "",
) -> Annotated[CallToolResult, CallGraphResult]:
    """Walk the call graph from a function or method: its callers, or its callees.

    Use this to trace how control reaches a function (callers) or what a function relies on
    (callees), across files. nodes lists the definitions reached (the root first, each with
    its depth); edges link caller to callee by index into nodes, with the call lines.
    An ambiguous edge is a call that may mean this callee among others; the walk does not
    go on from it.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.call_graph, qualified_name, path, direction=direction,
                         depth=depth, max_nodes=max_nodes, workspace=bridge.workspace_of(workspace))
    return bridge.fit(from_wire.call_graph(r))


SYMBOL_TOOLS = (
    (find_symbol, "Find symbol", READ_ONLY),
    (find_references, "Find references", READ_ONLY),
    (call_graph, "Call graph", READ_ONLY),
)
