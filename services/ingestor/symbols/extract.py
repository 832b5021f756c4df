"""Symbol extraction: one file's definitions, references and imports from its syntax tree.

It runs on the tree the parse stage already built for the file's chunks (no second parse).
Definitions are the nodes of the grammar's definition table (services/ingestor/grammars.py)
named exactly as the chunk walk names them, nested ones too (a function inside a function);
references and imports come from the language's query patterns (rules.py), found by one
query pass in C (query.py). Each reference gets the qualified name of the innermost
definition around it as its scope, found by one sweep over both lists in file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import repeat
from operator import attrgetter, itemgetter

from tree_sitter import Language, Node

from services.domain.symbols import (
    CALL,
    IMPORT,
    OTHER,
    FileSymbols,
    ImportBinding,
    ReferenceColumns,
    SymbolDefinition,
    typed_name,
)
from services.ingestor import grammars as lang
from services.ingestor.parse_code import CodeWalk, Item
from services.ingestor.symbols.imports import imported_by_pattern
from services.ingestor.symbols.query import (
    DEFINITION,
    IMPORT_STATEMENT,
    LOCAL,
    Captures,
    LanguageQuery,
    Paths,
    ReferencePattern,
)
from services.ingestor.symbols.rules import Imported, Rules

SIGNATURE_CHARS = 200
QUALIFIER_CHARS = 200
_SPACES = re.compile(r"\s+")
# Between a qualifier and its name: `.`, `::`, `->`, `?.`, PHP's `\`.
_SEPARATORS = " \t\r\n.:->?&\\"

_compiled: dict[str, LanguageQuery] = {}  # by grammar name; compiled once per process


def _query(language: Language, grammar: lang.Grammar, rules: Rules) -> LanguageQuery:
    query = _compiled.get(grammar.name)
    if query is None:
        query = _compiled[grammar.name] = LanguageQuery(language, grammar, rules)
    return query


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
        captures = self.query.captures(root)
        named_at: set[int] = set()  # where definitions are named: no references there
        definitions = self._definitions(captures.get(DEFINITION, []), named_at)
        statements = sorted(captures.get(IMPORT_STATEMENT, ()), key=_start)
        imports = sorted(
            self._imports(self.query.import_matches(captures), statements),
            key=lambda i: _line(i.name_node or root),
        )
        found = [
            (node.start_byte, IMPORT, node, item.qualifier, self._text(node))
            for item in imports
            if (node := item.name_node) is not None and node.start_byte not in named_at
        ]
        named_at.update(at for at, *_ in found)  # an imported name is an import, not `other`
        unbound: frozenset[str] = frozenset()
        if self.rules.builtins:  # a builtin's name, unless the file binds it: not recorded
            bound = {i.local_name for i in imports} | {d.name for *_, d in definitions}
            unbound = self.rules.builtins - bound
        found += self._references(captures, named_at, unbound)
        found.sort(key=_first)
        path = self.path
        return FileSymbols(
            definitions=tuple(d for _, at, *_, d in definitions if at not in self.declarations),
            references=self._scoped(found, definitions, self._locals(captures, definitions)),
            imports=tuple(
                ImportBinding(i.local_name, i.target, _line(i.name_node or root), path)
                for i in imports
                if i.local_name and i.target
            )
            + tuple(self._typed(captures, definitions)),
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
            key = (node.id, parent.symbol if parent else "", in_type)
            if key not in self.walk.found:  # else the chunk walk named it already
                self.walk.definition(node, key[1], in_type=in_type)
            named = self.walk.found.get(key)
            if named is None or not named[0].symbol:
                continue
            item, name_node = named
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
        self, captures: Captures, named_at: set[int], unbound: frozenset[str]
    ) -> list[_Reference]:
        """The references the patterns found, but not at `named_at` nor a bare name in
        `unbound`, in file order. A name captured by several patterns is the first one's."""
        nodes: dict[int, Node] = {}  # name's start byte -> name node
        patterns: dict[int, ReferencePattern] = {}  # -> the first pattern that captured it
        for pattern in reversed(self.query.references):  # a later write wins: the first
            captured = captures.get(pattern.capture)
            if captured:
                starts = list(map(_start, captured))
                nodes.update(zip(starts, captured, strict=True))
                patterns.update(zip(starts, repeat(pattern)))
        source, literals, paths = self.source, self.rules.literals, Paths(captures)
        found = []
        for at in sorted(nodes.keys() - named_at):
            node, pattern = nodes[at], patterns[at]
            qualifier = ""
            if pattern.path:
                path = paths.of(pattern, node)
                if literals and path.named_child(0).type in literals:
                    continue  # `"".join(...)`: a method of a builtin type, never the workspace's
                raw = source[path.start_byte : at].decode("utf-8", "replace")
                qualifier = "".join(raw.split()).rstrip(_SEPARATORS)[:QUALIFIER_CHARS]
            name = source[at : node.end_byte].decode("utf-8", "replace").strip()
            if qualifier or name not in unbound:
                found.append((at, pattern.kind, node, qualifier, name))
        return found

    def _locals(self, captures: Captures, definitions: list[_Found]) -> dict[str, set[str]]:
        """Name -> the functions where it is a local. A name a function binds is its local,
        unless it also defines it there (`if ...: f = a.f` / `else: def f(): ...`): then it
        may be the definition, which resolves."""
        nodes = sorted(captures.get(LOCAL, ()), key=_start)
        defined = {tuple(qualified.rpartition(".")[::2]) for _, _, _, qualified, _ in definitions}
        locals_: dict[str, set[str]] = {}
        for node, open_ in zip(nodes, _sweep(list(map(_start, nodes)), definitions), strict=True):
            if open_ and (local := (open_[-1][1], self._text(node))) not in defined:
                locals_.setdefault(local[1], set()).add(local[0])
        return locals_

    def _scoped(
        self,
        found: list[_Reference],
        definitions: list[_Found],
        locals_: dict[str, set[str]],
    ) -> ReferenceColumns:
        """References in file order, each with its innermost enclosing definition. A bare
        name that is a local variable of an enclosing function (`locals_`: name -> those
        functions) is left out: it never means a definition elsewhere."""
        source = self.source
        ascii_ = source.isascii()  # then a column in bytes is one in characters
        names: list[str] = []
        qualifiers: list[str] = []
        kinds: list[str] = []
        lines: list[int] = []
        columns: list[int] = []
        scopes: list[str] = []
        one = {"": ""}.setdefault  # equal strings as one object: pickle sends it once
        for (at, kind, node, qualifier, name), open_ in zip(
            found, _sweep(list(map(_first, found)), definitions), strict=True
        ):
            functions = locals_.get(name)
            if functions and not qualifier and kind in _LOCAL_KINDS and any(
                qualified in functions
                for _, qualified, found_kind in open_
                if found_kind not in lang.TYPE_KINDS
            ):
                continue
            row, column = node.start_point
            names.append(one(name, name))
            qualifiers.append(one(qualifier, qualifier))
            kinds.append(kind)
            lines.append(row + 1)
            columns.append(column if ascii_ else _column(source, at, column))
            scopes.append(open_[-1][1] if open_ else "")
        return ReferenceColumns(names, qualifiers, kinds, lines, columns, scopes, self.path)

    def _text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip()

    def _typed(self, captures: Captures, definitions: list[_Found]) -> Iterator[ImportBinding]:
        """Typed names as bindings (services/domain/symbols.py): a variable of the function
        binding it, `self.x` (and a name set in a class body) of the enclosing class."""
        if self.rules.type_of is None:
            return
        typed = [(m["typed"][0], m["type"][0]) for m in self.query.typed_matches(captures)]
        typed.sort(key=lambda t: t[0].start_byte)
        seen = set()
        for (node, type_node), open_ in zip(
            typed, _sweep([n.start_byte for n, _ in typed], definitions), strict=True
        ):
            type_name = self.rules.type_of(type_node, self.source)
            if not type_name:
                continue
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
            if (binding.local_name, type_name) not in seen:
                seen.add((binding.local_name, type_name))
                yield binding

    # imports

    def _imports(self, matches: list[Captures], statements: list[Node]) -> Iterator[Imported]:
        for captures in matches:
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
