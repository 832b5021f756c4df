"""The code walk of the Parse stage: chunks along a tree-sitter syntax tree.

Top-level definitions become chunks of their own; code between them becomes "module" chunks.
A type (class, impl block, interface, struct, enum) is opened: every member with a body
(method, nested type) is a chunk of its own, and the type's own lines around them (its
declaration, docstring, fields, and the signatures of an interface) are its "header" chunks,
of the type's kind and symbol. Only a tiny type (up to TINY_TYPE_LINES lines) stays one chunk
with its methods. A type over the size limits opens at every member, signatures too.

A function or method whose chunk would be over FUNCTION_LINES lines is cut into consecutive
pieces of about equal length between its statements (between those inside a statement too
long itself; by lines only where nothing else fits), each of the function's kind and symbol:
the first holds its signature, a later one says by its symbol which function it is in
(embedding and lexical terms both read the symbol), and no text is repeated. One 200-line
function as one chunk "contains" the answer to every question about it and is a poor hit to
read; the retrieval bench does not count hits over 80 lines. File context and the symbol list
still show the function whole (a symbol spans all its chunks).

LlamaIndex's `CodeSplitter` packs syntax nodes by characters, but returns stripped strings
without line numbers, knows no symbols, and would parse the text a second time; this module
runs the same recursive packing over line numbers on the tree the parser already built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from services.ingestor import grammars as lang
from services.ingestor.grammars import Definition, Grammar
from services.ingestor.parse_rows import Lines, Span

# A type this short (`class Builder { Circle build() { ... } }`) stays one chunk: opened,
# its header and methods would be chunks of a line or two that say little alone.
TINY_TYPE_LINES = 5

# The most lines of a function's chunk, the blank or bracket-only lines after it included
# (they end its last piece): a longer function is cut into pieces (module doc). On the tune
# part of bench/retrieval.py pieces of about equal length did better than greedy ones (the
# hand-written questions' hybrid MRR@10 0.688 vs 0.672; docstrings 0.608 both).
FUNCTION_LINES = 80
FUNCTION_KINDS = frozenset({lang.FUNCTION, lang.METHOD})


def _first(node: Node) -> int:
    return node.start_point.row


def _last(node: Node) -> int:
    """The node's last row; a node that ends with its newline ends on the row before."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point.row else row


@dataclass(slots=True)
class Item:
    """A definition found in the tree; its rows include the comments just above it."""

    start: int
    end: int
    kind: str
    symbol: str
    node: Node


class CodeWalk:
    """Finds definitions with a grammar table and lays chunks over the file's rows."""

    def __init__(
        self, lines: Lines, grammar: Grammar, source: bytes, function_lines: int = FUNCTION_LINES
    ) -> None:
        self.lines = lines
        self.grammar = grammar
        self.source = source
        self.function_lines = function_lines
        # (node id, qualifier, in_type) -> the definition found there and the node naming
        # it: the symbol extraction walks the same definitions again and reads them here.
        self.found: dict[tuple[int, str, bool], tuple[Item, Node | None]] = {}

    def _name_text(self, node: Node) -> str:
        return _clean_name(self.source[node.start_byte : node.end_byte])

    def spans(self, root: Node) -> list[Span]:
        children = root.named_children
        items = self._collect(children, "", in_type=False)
        return self._partition(0, self.lines.count - 1, items, lang.MODULE, "", children)

    # finding definitions

    def _collect(self, nodes: list[Node], qualifier: str, *, in_type: bool) -> list[Item]:
        items: list[Item] = []
        run_start: int | None = None  # first row of the comments right above the next node
        prev_end = -1
        for node in nodes:
            first = _first(node)
            if node.type in self.grammar.prefixes:
                if first == prev_end and run_start is None:
                    continue  # a comment at the end of a code line belongs to that line
                if run_start is None or first > prev_end + 1:
                    run_start = first  # a blank line parts a comment from what follows
                prev_end = _last(node)
                continue
            found = self._definitions(node, qualifier, in_type=in_type)
            if found and run_start is not None and found[0].start == first <= prev_end + 1:
                found[0].start = run_start
            items.extend(found)
            run_start, prev_end = None, _last(node)
        return items

    def _definitions(self, node: Node, qualifier: str, *, in_type: bool) -> list[Item]:
        grammar, node_type = self.grammar, node.type
        rule = grammar.definitions.get(node_type)
        if rule is not None:
            item = self._definition(node, rule, qualifier, in_type=in_type)
            return [item] if item is not None else []
        if node_type in grammar.wrappers:
            inner = self._collect(node.named_children, qualifier, in_type=in_type)
            if len(inner) == 1 and self._wraps(node, inner[0].node):
                inner[0].start = min(inner[0].start, _first(node))
                inner[0].end = max(inner[0].end, _last(node))
            return inner
        if node_type in grammar.groups:
            return self._collect(node.named_children, qualifier, in_type=in_type)
        if node_type in grammar.namespaces:
            return self._collect(self._members(node), qualifier, in_type=False)
        return []

    def _wraps(self, wrapper: Node, definition: Node) -> bool:
        """True unless a namespace or group stands between them (`export namespace N {}`)."""
        parent = definition.parent
        while parent is not None and parent != wrapper:
            if parent.type not in self.grammar.wrappers:
                return False
            parent = parent.parent
        return parent is not None

    def definition(self, node: Node, qualifier: str, *, in_type: bool) -> Item | None:
        """What `node` defines inside `qualifier` by the grammar's rules, or None (the symbol
        extraction names definitions with this too, so chunk symbols and symbols agree)."""
        rule = self.grammar.definitions.get(node.type)
        return None if rule is None else self._definition(node, rule, qualifier, in_type=in_type)

    def _definition(
        self, node: Node, rule: Definition, qualifier: str, *, in_type: bool
    ) -> Item | None:
        if rule.needs_body and node.child_by_field_name("body") is None:
            return None
        kind = rule.kind
        if rule.kinds_by_child:
            if rule.child_field is None:
                children = node.children
            else:
                child = node.child_by_field_name(rule.child_field)
                children = [] if child is None else [child]
            for child in children:
                if child.type in rule.kinds_by_child:
                    kind = rule.kinds_by_child[child.type]
                    break
        if kind is None:
            return None
        key = (node.id, qualifier, in_type)
        target = self.name_node(node, rule)
        name = (self._name_text(target) if target is not None else "") or rule.default_name
        if rule.receiver_field is not None:
            qualifier = self._receiver(node, rule.receiver_field) or qualifier
        if kind == lang.FUNCTION and (in_type or "." in name):  # C++ `Circle::area` too
            kind = lang.METHOD
        symbol = f"{qualifier}.{name}" if qualifier and name else qualifier or name
        item = Item(_first(node), _last(node), kind, symbol, node)
        self.found[key] = (item, target)
        return item

    def name_node(self, node: Node, rule: Definition) -> Node | None:
        """The node that names a definition (None for a nameless one)."""
        target = node.child_by_field_name(rule.name_field)
        # C declarators nest (pointer → function → identifier): follow them to the name.
        while target is not None and target.type.endswith("declarator"):
            target = target.child_by_field_name("declarator") or target.named_child(0)
        if target is None and self.grammar.name_types:
            target = next(
                (c for c in node.named_children if c.type in self.grammar.name_types), None
            )
        return target

    def _receiver(self, node: Node, field: str) -> str:
        """Go: `func (r *Rect[T]) Area()` belongs to Rect."""
        receiver = node.child_by_field_name(field)
        for param in receiver.named_children if receiver is not None else ():
            receiver_type = param.child_by_field_name("type")
            if receiver_type is not None:
                return self._name_text(receiver_type)
        return ""

    def _members(self, node: Node) -> list[Node]:
        """The children of a type's or namespace's body, after those of the node before its
        body: Ruby puts a comment above the first class of a module there."""
        body = node.child_by_field_name("body")
        children = node.named_children
        if body is None and self.grammar.bodies:
            body = next((c for c in children if c.type in self.grammar.bodies), None)
        if body is None:
            return []
        return [c for c in children if c.end_byte <= body.start_byte] + body.named_children

    # laying out chunks

    def _partition(
        self,
        start: int,
        end: int,
        items: list[Item],
        gap_kind: str,
        gap_symbol: str,
        siblings: list[Node],
    ) -> list[Span]:
        """Rows start..end as the items' chunks with the code between them as gap chunks."""
        spans: list[Span] = []
        cursor = start
        for item in items:
            # Two definitions can share a row (`}; class B {`): a row goes to the first.
            item.start, item.end = max(item.start, cursor), min(item.end, end)
            if item.end < item.start:
                continue
            if item.start > cursor:
                spans += self._pieces(cursor, item.start - 1, gap_kind, gap_symbol, siblings)
            spans += self._plan(item)
            cursor = item.end + 1
        if cursor <= end:
            spans += self._pieces(cursor, end, gap_kind, gap_symbol, siblings)
        return spans

    def _plan(self, item: Item) -> list[Span]:
        if item.kind in FUNCTION_KINDS:
            return self._function(item)
        fits = self.lines.fits(item.start, item.end)
        if item.kind in lang.TYPE_KINDS and (not fits or item.end - item.start >= TINY_TYPE_LINES):
            children = self._members(item.node)
            members = self._collect(children, item.symbol, in_type=True)
            if fits:  # signatures (`double area();`) stay in the type's text, its method list
                members = [m for m in members if self._has_body(m.node)]
            if members:  # the type's own lines around them become its header chunks
                return self._partition(
                    item.start, item.end, members, item.kind, item.symbol, children
                )
        if fits:
            return [Span(item.start, item.end, item.kind, item.symbol)]
        return self._pieces(item.start, item.end, item.kind, item.symbol, item.node.named_children)

    def _function(self, item: Item) -> list[Span]:
        """A function as one chunk, or, when it and the trivial lines after it (which end its
        chunk, parse.py) are over FUNCTION_LINES, as pieces of about equal length cut between
        statements, the last with room for those lines."""
        lines = self.lines.narrowed(self.function_lines)
        trailing = self.lines.trivial_after(item.end)
        if lines.fits(item.start, item.end + trailing):
            return [Span(item.start, item.end, item.kind, item.symbol)]
        room = max(self.function_lines - trailing, self.function_lines // 2)
        rows = item.end - item.start + 1
        # Equal pieces, as few as fit, and a quarter more for statements to end in: greedy
        # packing to the limit alone left a last piece of a line or two (`return x`).
        even = -(-rows // -(-rows // room))
        lines = lines.narrowed(min(room, even + even // 4))
        cuts = _cut_rows(item.node.named_children, lines) + _body_rows(item.node, rows)
        pieces = lines.pack(item.start, item.end, cuts)
        return [Span(start, end, item.kind, item.symbol) for start, end in pieces]

    def _has_body(self, node: Node) -> bool:
        """True for a definition with code in it; False for a bare signature."""
        value = node.child_by_field_name("value")  # `onClick = (e) => {...}` in a class
        return any(
            part.child_by_field_name("body") is not None
            or any(c.type in self.grammar.bodies for c in part.named_children)
            for part in (node, value)
            if part is not None
        )

    def _pieces(
        self, start: int, end: int, kind: str, symbol: str, nodes: list[Node]
    ) -> list[Span]:
        return _pieces(self.lines, start, end, kind, symbol, nodes)


def _pieces(
    lines: Lines, start: int, end: int, kind: str, symbol: str, nodes: list[Node]
) -> list[Span]:
    """Rows start..end as one chunk, or as pieces cut between the syntax nodes there."""
    if lines.fits(start, end):
        return [Span(start, end, kind, symbol)]
    near = [n for n in nodes if _last(n) >= start and _first(n) <= end]
    return [Span(s, e, kind, symbol) for s, e in lines.pack(start, end, _cut_rows(near, lines))]


def _body_rows(node: Node, rows: int) -> list[int]:
    """Where the statements of a function's body begin, found down the chain of children
    that hold most of its `rows` (a lambda's body, a `try` around the whole body): the rows a
    piece may begin at. A body that fits in one piece would otherwise not be opened, and the
    signature would be a piece of its own."""
    found: list[int] = []
    while node.named_child_count:
        node = max(node.named_children, key=lambda child: _last(child) - _first(child))
        if 2 * (_last(node) - _first(node) + 1) < rows:
            break
        found += [_first(child) for child in node.named_children]
    return found


def _cut_rows(nodes: list[Node], lines: Lines) -> list[int]:
    """Rows where a piece may begin: where each node starts, and, inside nodes too big for
    one chunk, where their children start (CodeSplitter's recursion, in rows)."""
    rows: list[int] = []
    stack = list(nodes)
    while stack:  # a loop, not recursion: generated code nests deeper than Python's stack
        node = stack.pop()
        first, last = _first(node), _last(node)
        rows.append(first)
        # Only a node over several rows has rows to cut at inside (a minified line has none).
        too_big = (
            last - first >= lines.max_lines or node.end_byte - node.start_byte > lines.max_chars
        )
        if too_big and last > first:
            stack.extend(node.named_children)
    return rows


_TEMPLATE_ARGS = re.compile(r"<[^<>]*>")
_NAME_NOISE = re.compile(r"\[[^\]]*\]|'\w+\b|\s+")  # Go type parameters, Rust lifetimes


def _clean_name(raw: bytes) -> str:
    """A name as a symbol: no type arguments or pointers, scopes joined with dots."""
    name = raw.decode("utf-8", "replace")
    if "operator" not in name:  # C++ `operator<` is a name, not a template
        for _ in range(4):  # nested arguments, innermost first
            name, found = _TEMPLATE_ARGS.subn("", name)
            if not found:
                break
    name = _NAME_NOISE.sub("", name)
    name = name.replace("::", ".").replace("\\", ".").strip("*&.")
    return name[:200]

