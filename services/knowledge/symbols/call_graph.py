"""GetCallGraph: callers or callees of a definition, walked breadth first to a depth.

Edges come from CALL references resolved by resolve.py. A resolved call is an edge the
walk continues along; an ambiguous one becomes an edge to each candidate marked ambiguous,
which the walk does not follow (it would branch on a guess). A call made at a file's top
level has the file itself as its caller: a definition of kind "module" with an empty
qualified name.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import CALL, SymbolDefinition, SymbolReference
from services.knowledge.symbols.references import uses_of
from services.knowledge.symbols.resolve import (
    AMBIGUOUS,
    RESOLVED,
    MeansAny,
    key,
    ranked_candidates,
    resolve,
)
from services.storage.port import Symbols

CALLERS = "callers"
CALLEES = "callees"
_ALL = 1_000_000
_CONTAINERS = frozenset({"class", "interface", "struct", "enum", "module"})
AMBIGUOUS_EDGES = 5  # an ambiguous call links to its likeliest candidates, at most these


@dataclass
class Edge:
    caller: int  # index into CallGraph.nodes
    callee: int
    lines: list[int] = field(default_factory=list)
    ambiguous: bool = False


@dataclass
class CallGraph:
    nodes: list[tuple[SymbolDefinition, int]]  # (definition, depth), the root first
    edges: list[Edge]
    truncated: bool = False
    unresolved_calls: int = 0


class _Builder:
    def __init__(self, root: SymbolDefinition, max_nodes: int) -> None:
        self.graph = CallGraph(nodes=[(root, 0)], edges=[])
        self._index = {key(root): 0}
        self._edges: dict[tuple[int, int], Edge] = {}
        self._max_nodes = max_nodes

    def node(self, definition: SymbolDefinition, depth: int) -> int | None:
        """The node's index, added at `depth` if new; None when the cap leaves it out."""
        found = self._index.get(key(definition))
        if found is not None:
            return found
        if len(self.graph.nodes) >= self._max_nodes:
            self.graph.truncated = True
            return None
        self._index[key(definition)] = len(self.graph.nodes)
        self.graph.nodes.append((definition, depth))
        return len(self.graph.nodes) - 1

    def full(self) -> bool:
        return len(self.graph.nodes) >= self._max_nodes

    def edge(self, caller: int, callee: int, line: int, ambiguous: bool) -> None:
        edge = self._edges.get((caller, callee))
        if edge is None:
            edge = self._edges[(caller, callee)] = Edge(caller, callee, ambiguous=ambiguous)
            self.graph.edges.append(edge)
        edge.ambiguous = edge.ambiguous and ambiguous  # one resolved call makes it sure
        if line not in edge.lines:
            edge.lines.append(line)
            edge.lines.sort()


async def call_graph(storage: Symbols, workspace_id: str, root: SymbolDefinition,
                     direction: str, depth: int, max_nodes: int) -> CallGraph:
    builder = _Builder(root, max_nodes)
    step = _callees if direction == CALLEES else _callers
    frontier = [root]
    for level in range(1, depth + 1):
        if builder.full():  # no room for what this level would find: do not look
            builder.graph.truncated = True
            return builder.graph
        frontier = await step(storage, workspace_id, frontier, level, builder)
        if not frontier:
            return builder.graph
    # Depth reached: truncated when one more level would have found a new definition.
    probe = copy.deepcopy(builder)
    probe._max_nodes = len(probe.graph.nodes) + 1
    await step(storage, workspace_id, frontier, depth + 1, probe)
    builder.graph.truncated |= len(probe.graph.nodes) > len(builder.graph.nodes)
    return builder.graph


async def _callees(storage: Symbols, workspace_id: str, frontier: list[SymbolDefinition],
                   level: int, builder: _Builder) -> list[SymbolDefinition]:
    symbols = await storage.get_symbols(workspace_id, {d.path for d in frontier})
    calls: list[tuple[int, SymbolReference]] = []
    for d in frontier:
        caller = builder.node(d, level - 1)
        file = symbols.get(d.path)
        for ref in file.references if file else ():
            if ref.kind == CALL and _inside(ref, d):
                calls.append((caller, ref))
    resolved = await ranked_candidates(storage, workspace_id, await resolve(
        storage, workspace_id, [ref for _, ref in calls]), AMBIGUOUS_EDGES)
    reached = []
    for (caller, ref), found in zip(calls, resolved, strict=True):
        if found.status not in (RESOLVED, AMBIGUOUS):
            builder.graph.unresolved_calls += 1
            continue
        for callee_definition in found.candidates:
            before = len(builder.graph.nodes)
            callee = builder.node(callee_definition, level)
            if callee is not None:
                builder.edge(caller, callee, ref.line, found.status == AMBIGUOUS)
                # A class called is constructed: the walk does not enter all its methods.
                if (found.status == RESOLVED and len(builder.graph.nodes) > before
                        and callee_definition.kind not in _CONTAINERS):
                    reached.append(callee_definition)
    return reached


async def _callers(storage: Symbols, workspace_id: str, frontier: list[SymbolDefinition],
                   level: int, builder: _Builder) -> list[SymbolDefinition]:
    found = await uses_of(storage, workspace_id, {d.name for d in frontier})
    calls = [r for r in found if r.kind == CALL]
    means = MeansAny(frontier)
    resolved = [r for r in await resolve(storage, workspace_id, calls) if means(r)]
    hits = [(r, c) for r in resolved for c in means.which(r)]
    scopes = await _enclosing(storage, workspace_id, [r.reference for r, _ in hits])
    reached = []
    for found_call, callee_definition in hits:
        ref = found_call.reference
        caller_definition = scopes[(ref.path, ref.scope)]
        before = len(builder.graph.nodes)
        caller = builder.node(caller_definition, level)
        if caller is None:
            continue
        callee = builder.node(callee_definition, level - 1)
        assert callee is not None  # the frontier is in the graph already
        builder.edge(caller, callee, ref.line,
                     found_call.status == AMBIGUOUS)
        if (found_call.status == RESOLVED and len(builder.graph.nodes) > before
                and caller_definition.qualified_name):  # a file's top level has no callers
            reached.append(caller_definition)
    return reached


async def _enclosing(storage: Symbols, workspace_id: str, references: Sequence[SymbolReference]
                     ) -> dict[tuple[str, str], SymbolDefinition]:
    """The definition each reference is made in, by (path, scope); the file for top level."""
    scoped = {(r.path, r.scope) for r in references}
    found = await storage.find_definitions(workspace_id, DefinitionMatch(
        qualified_names=tuple({s for _, s in scoped if s}),
        paths=tuple({p for p, s in scoped if s})), _ALL) if any(s for _, s in scoped) else []
    by_scope = {}
    for d in found:
        by_scope.setdefault((d.path, d.qualified_name), d)
    return {(p, s): by_scope.get((p, s)) or _file_node(p, s) for p, s in scoped}


def _file_node(path: str, scope: str) -> SymbolDefinition:
    """Top-level code of a file (or a scope no definition was recorded for) as a node."""
    name = scope or posixpath.basename(path)
    return SymbolDefinition(name=name, qualified_name=scope, kind="module", start_line=1,
                            end_line=1, signature="", path=path)


def _inside(ref: SymbolReference, d: SymbolDefinition) -> bool:
    """A call made by `d`: in its body, or (a class, a module) in anything nested in it."""
    if ref.path != d.path:
        return False
    if d.kind in _CONTAINERS:
        return ref.scope == d.qualified_name or ref.scope.startswith(d.qualified_name + ".") \
            or (not d.qualified_name)
    return ref.scope == d.qualified_name
