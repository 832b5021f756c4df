"""A language's rules as one compiled tree-sitter query, and its captures read back.

One pass over the tree finds everything: definitions, import statements, locals, and every
reference pattern. It is read with `QueryCursor.captures()`, which gives the nodes of each
capture name in C, not a Python dict per match (a Python file has about 2.5 matches per
reference recorded). So each reference pattern captures its name and path under names of
its own (`name<i>`, `path<i>`, i in the order of the patterns: the first pattern to capture
a name wins), and `Paths` finds a name's path again among its pattern's. The few patterns
whose captures belong together (an import's module, member and alias; a typed name and its
type) capture their outermost node in the one query, and are matched again on that node
alone, where reading matches costs little.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from operator import attrgetter

from tree_sitter import Language, Node, Query, QueryCursor

from services.domain.symbols import REFERENCE_KINDS
from services.ingestor import grammars as lang
from services.ingestor.symbols.rules import Rules

DEFINITION = "definition"
IMPORT_STATEMENT = "import"
LOCAL = "local"
_IMPORT_AT = "_import_at"  # the outermost node of an import pattern's match
_TYPED_AT = "_typed_at"  # the same of a typed-name pattern's
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|[()]|@\w+')
_PREDICATE = re.compile(r'\(#[^()"]*(?:"(?:\\.|[^"\\])*"[^()"]*)*\)')
_CAPTURE = re.compile(r"@(\w+)")
_start = attrgetter("start_byte")
_end = attrgetter("end_byte")

Captures = dict[str, list[Node]]


def path_depth(pattern: str) -> int:
    """How many levels above its `@name` node a pattern's `@path` node is; 0 without one
    (`(call function: (attribute attribute: (identifier) @name) @path)`: 1)."""
    depth, found = 0, {}
    for token in _TOKEN.findall(pattern):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token in ("@name", "@path"):
            found[token] = depth  # the number of nodes around the captured one
    if "@path" not in found:
        return 0
    levels = found["@name"] - found["@path"]
    if levels < 1:
        raise ValueError(f"@path is not around @name in {pattern!r}")
    return levels


class ReferencePattern:
    """A reference pattern as the one query captures it."""

    __slots__ = ("capture", "depth", "kind", "path")

    def __init__(self, index: int, kind: str, pattern: str) -> None:
        self.kind = kind
        self.capture = f"name{index}"  # the capture name of its `@name`
        self.depth = path_depth(pattern)  # of its `@path` above the name; 0: none
        self.path = f"path{index}" if self.depth else ""  # the capture name of its `@path`


class LanguageQuery:
    """A language's rules (rules.py) compiled once per process."""

    def __init__(self, language: Language, grammar: lang.Grammar, rules: Rules) -> None:
        # The tables name a few node types some grammar versions lack (C# record structs).
        known = [t for t in grammar.definitions if language.id_for_node_kind(t, True)]
        patterns = ["[" + " ".join(f"({t})" for t in known) + f"] @{DEFINITION}"]
        if rules.import_statements:
            statements = " ".join(f"({t})" for t in rules.import_statements)
            patterns.append(f"[{statements}] @{IMPORT_STATEMENT}")
        patterns += [f"{p} @{_IMPORT_AT}" for p in rules.imports]
        patterns += rules.locals
        patterns += [f"{p} @{_TYPED_AT}" for p in rules.types]
        self.references: list[ReferencePattern] = []  # in the order of the patterns
        for kind in REFERENCE_KINDS:
            for pattern in rules.references.get(kind, ()):
                index = len(self.references)
                self.references.append(ReferencePattern(index, kind, pattern))
                patterns.append(re.sub(r"@(name|path)\b", rf"@\g<1>{index}", pattern))
        self.query = Query(language, "\n".join(patterns))
        # What only the second matching reads (an import's module, a typed name's type) is
        # not captured by the first: fewer nodes to make. A predicate's captures stay.
        grouped = " ".join((*rules.imports, *rules.types))
        kept = {c for p in _PREDICATE.findall(grouped) for c in _CAPTURE.findall(p)}
        for capture in set(_CAPTURE.findall(grouped)) - kept:
            self.query.disable_capture(capture)
        self._imports = Query(language, "\n".join(rules.imports)) if rules.imports else None
        self._types = Query(language, "\n".join(rules.types)) if rules.types else None

    def captures(self, root: Node) -> Captures:
        """Capture name -> its nodes, each once, in no particular order."""
        return QueryCursor(self.query).captures(root)

    def import_matches(self, captures: Captures) -> list[Captures]:
        """The captures of each import pattern's match, in file order."""
        return _matches(self._imports, captures.get(_IMPORT_AT))

    def typed_matches(self, captures: Captures) -> list[Captures]:
        """The captures of each typed-name pattern's match, in file order."""
        return _matches(self._types, captures.get(_TYPED_AT))


def _matches(query: Query | None, roots: Iterable[Node] | None) -> list[Captures]:
    if query is None or not roots:
        return []
    cursor = QueryCursor(query)
    cursor.set_max_start_depth(0)  # matches that start at the node itself, none inside it
    found = []
    for root in sorted(set(roots), key=lambda n: (n.start_byte, -n.end_byte)):
        found += [captures for _, captures in cursor.matches(root)]
    return found


class Paths:
    """The `@path` of each reference pattern's names in one file's captures.

    A name's path is the one of its pattern's paths that ends where the name ends (`a.b`
    of `b`), when no other one does: any other path of the pattern around the name would
    be around that one too, so it would end there as well. Else (`a.f(x)` of `f`, or two
    paths that end there) it is the name's ancestor `depth` levels up, which costs more to
    ask for: tree-sitter finds a parent from the root down."""

    def __init__(self, captures: Captures) -> None:
        self.captures = captures
        self._by_end: dict[str, dict[int, Node]] = {}  # path capture -> end byte -> path

    def of(self, pattern: ReferencePattern, name: Node) -> Node:
        by_end = self._by_end.get(pattern.path)
        if by_end is None:
            by_end = self._by_end[pattern.path] = _by_end(self.captures.get(pattern.path, []))
        path = by_end.get(name.end_byte)
        if path is None or path.start_byte > name.start_byte:
            path = name
            for _ in range(pattern.depth):
                path = path.parent
        return path


def _by_end(paths: list[Node]) -> dict[int, Node]:
    ends = list(map(_end, paths))
    found = dict(zip(ends, paths, strict=True))
    if len(found) < len(ends):  # two paths end at the same byte: neither is sure
        for end, count in Counter(ends).items():
            if count > 1:
                del found[end]
    return found
