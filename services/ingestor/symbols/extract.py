"""Symbol extraction: one file's definitions, references and imports from its syntax tree.

It runs on the tree the parse stage already built for the file's chunks (no second parse).
Definitions are the nodes of the grammar's definition table (services/ingestor/grammars.py)
named exactly as the chunk walk names them, nested ones too (a function inside a function);
references and imports come from the language's query patterns (rules.py), matched in C by
tree-sitter. Each reference gets the qualified name of the innermost definition around it
as its scope, found by one sweep over both lists in file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter, itemgetter

from tree_sitter import Language, Node, Query, QueryCursor

from services.domain.symbols import (
    CALL,
    IMPORT,
    OTHER,
    REFERENCE_KINDS,
    FileSymbols,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
    typed_name,
)
from services.ingestor import grammars as lang
from services.ingestor.parse_code import CodeWalk, Item
from services.ingestor.symbols.imports import imported_by_pattern
from services.ingestor.symbols.rules import Imported, Rules

SIGNATURE_CHARS = 200
QUALIFIER_CHARS = 200
_SPACES = re.compile(r"\s+")
# Between a qualifier and its name: `.`, `::`, `->`, `?.`, PHP's `\`.
_SEPARATORS = " \t\r\n.:->?&\\"


class _Query:
    """A language's one compiled query: definitions, import statements, import patterns and
    reference patterns, in that order, so one pass over the tree finds them all."""

    def __init__(self, language: Language, grammar: lang.Grammar, rules: Rules) -> None:
        # The tables name a few node types some grammar versions lack (C# record structs).
        known = [t for t in grammar.definitions if language.id_for_node_kind(t, True)]
        patterns = ["[" + " ".join(f"({t})" for t in known) + "] @definition"]
        if rules.import_statements:
            patterns.append("[" + " ".join(f"({t})" for t in rules.import_statements) + "] @import")
        self.first_import = len(patterns)
        patterns += rules.imports
        self.first_local = len(patterns)
        patterns += rules.locals
        self.first_type = len(patterns)
        patterns += rules.types
        self.first_reference = len(patterns)
        self.kinds: list[str] = []  # reference kind of each reference pattern, in order
        for kind in REFERENCE_KINDS:
            for pattern in rules.references.get(kind, ()):
                patterns.append(pattern)
                self.kinds.append(kind)
        self.query = Query(language, "\n".join(patterns))


_compiled: dict[str, _Query] = {}  # by grammar name; compiled once per process


def _query(language: Language, grammar: lang.Grammar, rules: Rules) -> _Query:
    query = _compiled.get(grammar.name)
    if query is None:
        query = _compiled[grammar.name] = _Query(language, grammar, rules)
    return query


_Match = tuple[int, dict[str, list[Node]]]
# (name's start byte, start byte, end byte, qualified name, definition), in file order.
_Found = tuple[int, int, int, str, SymbolDefinition]
# (name's start byte, reference kind, name node, qualifier, name)
_Reference = tuple[int, str, Node, str, str]
_first = itemgetter(0)
_start = attrgetter("start_byte")
# Uses of a bare name that a local variable of the same name shadows.
_LOCAL_KINDS = frozenset({CALL, OTHER})


class Extractor:
    """Extracts one file's symbols; `walk` is the chunk walk over the same tree."""

    def __init__(self, walk: CodeWalk, language: Language, rules: Rules, path: str) -> None:
        self.walk = walk
        self.source = walk.source
        self.rules = rules
        self.path = path
        self.query = _query(language, walk.grammar, rules)
        self.declarations: set[int] = set()  # start bytes of definitions that only declare

    def extract(self, root: Node) -> FileSymbols:
        q = self.query
        definition_nodes: list[Node] = []
        statements: list[Node] = []
        import_matches: list[_Match] = []
        local_nodes: list[Node] = []
        typed: list[tuple[Node, Node]] = []  # (name, its type)
        # name's start byte -> (pattern, name node, path captures): each name's first capture
        # in the order of the patterns (see rules.py).
        best: dict[int, tuple[int, Node, list[Node] | None]] = {}
        for index, captures in QueryCursor(q.query).matches(root):
            if index >= q.first_reference:
                names = captures.get("name")
                if names:
                    name = names[0]
                    known = best.get(at := name.start_byte)
                    if known is None or index < known[0]:
                        best[at] = (index, name, captures.get("path"))
            elif index >= q.first_type:
                typed.append((captures["typed"][0], captures["type"][0]))
            elif index >= q.first_local:
                local_nodes += captures.get("local", ())
            elif index >= q.first_import:
                import_matches.append((index, captures))
            elif "definition" in captures:
                definition_nodes += captures["definition"]
            else:
                statements += captures.get("import", ())
        named_at: set[int] = set()  # where definitions are named: no references there
        definitions = self._definitions(definition_nodes, named_at)
        imports = sorted(
            self._imports(import_matches, statements), key=lambda i: _line(i.name_node or root)
        )
        found = [
            (node.start_byte, IMPORT, node, item.qualifier, self._text(node))
            for item in imports
            if (node := item.name_node) is not None and node.start_byte not in named_at
        ]
        named_at.update(at for at, *_ in found)  # an imported name is an import, not `other`
        found += self._references(best, named_at)
        if self.rules.builtins:  # a builtin's name, unless the file binds it: not recorded
            bound = {i.local_name for i in imports} | {d.name for *_, d in definitions}
            unbound = self.rules.builtins - bound
            found = [r for r in found if r[3] or r[1] == IMPORT or r[4] not in unbound]
        found.sort(key=_first)
        local_nodes.sort(key=_start)
        # A name a function binds is its local, unless it also defines it there (`if ...:
        # f = a.f` / `else: def f(): ...`): then it may be the definition, which resolves.
        defined = {tuple(qualified.rpartition(".")[::2]) for _, _, _, qualified, _ in definitions}
        locals_: dict[str, set[str]] = {}  # name -> functions where it is a local
        starts = [node.start_byte for node in local_nodes]
        for node, open_ in zip(local_nodes, _sweep(starts, definitions), strict=True):
            if open_ and (local := (open_[-1][1], self._text(node))) not in defined:
                locals_.setdefault(local[1], set()).add(local[0])
        path = self.path
        return FileSymbols(
            definitions=tuple(d for _, at, *_, d in definitions if at not in self.declarations),
            references=tuple(self._scoped(found, definitions, locals_)),
            imports=tuple(
                ImportBinding(i.local_name, i.target, _line(i.name_node or root), path)
                for i in imports
                if i.local_name and i.target
            )
            + tuple(self._typed(typed, definitions)),
        )

    # definitions

    def _definitions(
        self, nodes: list[Node], named_at: set[int]
    ) -> list[_Found]:
        """(name's start byte, start byte, end byte, qualified name, definition) in file
        order; the enclosing definitions of each one are the ones still open around it.
        Adds where each name's parts start to `named_at` (`A` and `q` of C++ `A::q`)."""
        found = []
        open_: list[tuple[int, Item]] = []  # (end byte, item) of enclosing definitions
        for node in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
            while open_ and open_[-1][0] <= node.start_byte:
                open_.pop()
            parent = open_[-1][1] if open_ else None
            in_type = parent is not None and parent.kind in lang.TYPE_KINDS
            item = self.walk.definition(node, parent.symbol if parent else "", in_type=in_type)
            if item is None or not item.symbol:
                continue
            name_node = self.walk.name_node(node, self.walk.grammar.definitions[node.type])
            name_at = name_node.start_byte if name_node is not None else node.start_byte
            named_at.add(name_at)
            if name_node is not None and name_node.named_child_count:
                named_at.update(_starts(name_node))
            definition = SymbolDefinition(
                name=item.symbol.rsplit(".", 1)[-1],
                qualified_name=item.symbol,
                kind=item.kind,
                start_line=node.start_point.row + 1,
                end_line=node.end_point.row + 1,
                signature=self._signature(node),
                path=self.path,
            )
            if self.rules.declares_only is not None and self.rules.declares_only(
                node, self.source
            ):
                self.declarations.add(node.start_byte)  # scopes its body, defines nothing
            found.append((name_at, node.start_byte, node.end_byte, item.symbol, definition))
            open_.append((node.end_byte, item))
        return found

    def _signature(self, node: Node) -> str:
        """The definition's text up to its body, on one line."""
        body = _body(node, self.walk.grammar)
        end = body.start_byte if body is not None else node.end_byte
        head = self.source[node.start_byte : min(end, node.start_byte + 4 * SIGNATURE_CHARS)]
        text = _SPACES.sub(" ", head.decode("utf-8", "replace")).strip()
        if body is None:
            text = text.split(" {", 1)[0]
        return text.rstrip(" {:=")[:SIGNATURE_CHARS]

    # references

    def _references(
        self, best: dict[int, tuple[int, Node, list[Node] | None]], named_at: set[int]
    ) -> Iterator[_Reference]:
        """The references found by the patterns, leaving out the names at `named_at`."""
        literals = self.rules.literals
        kinds = self.query.kinds
        first = self.query.first_reference
        for at, (index, name, paths) in best.items():
            if at in named_at:
                continue
            if paths and literals and paths[0].named_child(0).type in literals:
                continue  # `"".join(...)`: a method of a builtin type, never the workspace's
            qualifier = self._qualifier(paths[0], name) if paths else ""
            yield at, kinds[index - first], name, qualifier, self._text(name)

    def _qualifier(self, path: Node, name: Node) -> str:
        raw = self.source[path.start_byte : name.start_byte].decode("utf-8", "replace")
        return _SPACES.sub("", raw).rstrip(_SEPARATORS)[:QUALIFIER_CHARS]

    def _scoped(
        self,
        found: list[_Reference],
        definitions: list[_Found],
        locals_: dict[str, set[str]],
    ) -> Iterator[SymbolReference]:
        """References in file order, each with its innermost enclosing definition. A bare
        name that is a local variable of an enclosing function (`locals_`: name -> those
        functions) is left out: it never means a definition elsewhere."""
        source, path = self.source, self.path
        starts = [at for at, *_ in found]
        for (at, kind, node, qualifier, name), open_ in zip(
            found, _sweep(starts, definitions), strict=True
        ):
            functions = locals_.get(name)
            if functions and not qualifier and kind in _LOCAL_KINDS and any(
                qualified in functions
                for _, qualified, found_kind in open_
                if found_kind not in lang.TYPE_KINDS
            ):
                continue
            point = node.start_point
            yield SymbolReference(
                name,
                qualifier,
                kind,
                point.row + 1,
                _column(source, at, point.column),
                open_[-1][1] if open_ else "",
                path,
            )

    def _text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip()

    def _typed(
        self, typed: list[tuple[Node, Node]], definitions: list[_Found]
    ) -> Iterator[ImportBinding]:
        """Typed names as bindings (services/domain/symbols.py): a variable of the function
        binding it, `self.x` (and a name set in a class body) of the enclosing class."""
        if not typed or self.rules.type_of is None:
            return
        typed.sort(key=lambda t: t[0].start_byte)
        seen = set()
        for (node, type_node), open_ in zip(
            typed, _sweep([n.start_byte for n, _ in typed], definitions), strict=True
        ):
            type_name = self.rules.type_of(type_node, self.source)
            written = self._text(node)
            classes = [qualified for _, qualified, kind in open_ if kind in lang.TYPE_KINDS]
            if written.startswith("self.") and written.count(".") == 1 and classes:
                scope = classes[-1]
            elif "." in written:
                continue  # an attribute of some other object
            elif open_ and open_[-1][2] in lang.TYPE_KINDS:  # `x: Foo` in a class body
                written, scope = f"self.{written}", open_[-1][1]
            else:
                scope = open_[-1][1] if open_ else ""
            binding = ImportBinding(typed_name(written, scope), type_name, _line(node),
                                    self.path)
            if type_name and (binding.local_name, type_name) not in seen:
                seen.add((binding.local_name, type_name))
                yield binding

    # imports

    def _imports(self, matches: list[_Match], statements: list[Node]) -> Iterator[Imported]:
        for _, captures in matches:
            yield from imported_by_pattern(captures, self.source, self.path)
        reader = self.rules.read_import
        if reader is not None:
            for statement in statements:
                yield from reader(statement, self.source, self.path)


def _sweep(starts: list[int], definitions: list[_Found]) -> Iterator[list[tuple[int, str, str]]]:
    """For each of `starts` (start bytes in file order), the definitions around it,
    outermost first, as (end byte, qualified name, kind): one list, updated in place, to
    read before the next."""
    spans = iter(definitions)
    upcoming = next(spans, None)
    open_: list[tuple[int, str, str]] = []
    for at in starts:
        while upcoming is not None and upcoming[1] <= at:
            while open_ and open_[-1][0] <= upcoming[1]:
                open_.pop()
            open_.append((upcoming[2], upcoming[3], upcoming[4].kind))
            upcoming = next(spans, None)
        while open_ and open_[-1][0] <= at:
            open_.pop()
        yield open_


def _body(node: Node, grammar: lang.Grammar) -> Node | None:
    body = node.child_by_field_name("body")
    if body is None:
        value = node.child_by_field_name("value")  # `const f = () => {...}`
        body = value.child_by_field_name("body") if value is not None else None
    if body is None and grammar.bodies:
        body = next((c for c in node.named_children if c.type in grammar.bodies), None)
    return body


def _starts(node: Node) -> Iterator[int]:
    stack = list(node.named_children)
    while stack:
        child = stack.pop()
        yield child.start_byte
        stack.extend(child.named_children)


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _column(source: bytes, at: int, row_bytes: int) -> int:
    """The 0-based column in characters of byte `at`, `row_bytes` into its line (tree-sitter
    counts bytes)."""
    prefix = source[at - row_bytes : at]
    return row_bytes if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
