"""What the symbol-graph tools return (find_symbol, find_references, call_graph), each able
to cut itself to the cap (`shrink`) and say how to continue."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field, PrivateAttr

from services.mcp_bridge.result_cap import keep_count


class DefinitionView(BaseModel):
    name: str = Field(description="The bare name")
    qualified_name: str = Field(description="The name within its file, e.g. Store.save")
    kind: str = Field(description="function, method, class, interface, struct, enum, ...")
    path: str = Field(description="Workspace-relative path of the defining file")
    start_line: int
    end_line: int
    signature: str = Field(description="The definition's head, on one line")


class _Paged(BaseModel):
    """A page whose tail may be cut; `_next_token(kept)` continues after the first `kept`."""

    _next_token: Callable[[int], str] | None = PrivateAttr(default=None)

    def continue_with(self, next_token: Callable[[int], str]):
        self._next_token = next_token
        self.next_page_token = next_token(self._count())
        return self

    def _count(self) -> int:
        raise NotImplementedError

    def _continue(self) -> None:
        self.next_page_token = self._next_token(self._count()) if self._next_token else ""


class FindSymbolResult(_Paged):
    definitions: list[DefinitionView] = Field(description="Ordered by path, then line")
    truncated: bool = Field(description="True when the page was cut to fit")
    next_page_token: str = Field(description=(
        "Pass as page_token (same arguments) for more; empty when there are no more"))

    def _count(self) -> int:
        return len(self.definitions)

    def shrink(self, ratio: float) -> bool:
        if len(self.definitions) <= 1:
            return False
        del self.definitions[max(1, keep_count(len(self.definitions), ratio)):]
        self.truncated = True
        self._continue()
        return True


class ReferenceView(BaseModel):
    line: int
    column: int = Field(description="Characters into the line where the name starts")
    kind: str = Field(description="call, import, inheritance, type or other")
    snippet: str = Field(description="The line, trimmed")
    scope: str = Field(description="Qualified name of the definition the use is in; "
                                   "empty at file level")
    resolution: str = Field(description=(
        "resolved (target says which definition), ambiguous (candidates, most likely first) "
        "or unresolved (defined outside the workspace)"))
    target: DefinitionView | None = None
    candidates: list[DefinitionView] = Field(default_factory=list)


class ReferenceFileView(BaseModel):
    path: str
    references: list[ReferenceView]


class FindReferencesResult(_Paged):
    definition: DefinitionView | None = Field(default=None, description=(
        "The definition asked about (with qualified_name and path)"))
    files: list[ReferenceFileView] = Field(description="References grouped by file, by path")
    total_references: int = Field(description="References in the whole answer, all pages")
    truncated: bool = Field(description="True when the page was cut to fit")
    next_page_token: str = Field(description=(
        "Pass as page_token (same arguments) for more; empty when there are no more"))

    def _count(self) -> int:
        return sum(len(f.references) for f in self.files)

    def shrink(self, ratio: float) -> bool:
        count = self._count()
        if count <= 1:
            return False
        keep = max(1, keep_count(count, ratio))
        kept: list[ReferenceFileView] = []
        for file in self.files:
            if keep <= 0:
                break
            kept.append(ReferenceFileView(path=file.path, references=file.references[:keep]))
            keep -= len(kept[-1].references)
        self.files = kept
        self.truncated = True
        self._continue()
        return True


class CallNodeView(DefinitionView):
    depth: int = Field(description="Calls away from the root; the root is 0")


class CallEdgeView(BaseModel):
    caller: int = Field(description="Index into nodes of the calling definition")
    callee: int = Field(description="Index into nodes of the called definition")
    lines: list[int] = Field(description="Lines of the calls in the caller's file")
    ambiguous: bool = Field(description=(
        "True when the call may mean this callee among others (not followed further)"))


class CallGraphResult(BaseModel):
    nodes: list[CallNodeView] = Field(description="The root first, then by depth")
    edges: list[CallEdgeView]
    truncated: bool = Field(description=(
        "True when the node cap, the depth or the size left definitions out; ask again from "
        "a node further out, or with a larger max_nodes"))
    unresolved_calls: int = Field(description=(
        "Calls to names defined nowhere in the workspace (libraries, builtins)"))

    def shrink(self, ratio: float) -> bool:
        if len(self.nodes) <= 1:
            return False
        kept = max(1, keep_count(len(self.nodes), ratio))
        del self.nodes[kept:]
        self.edges = [e for e in self.edges if e.caller < kept and e.callee < kept]
        self.truncated = True
        return True
