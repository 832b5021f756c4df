"""Parse stage: split one file into chunks along its syntax tree or its headings.

Code is parsed once with tree-sitter; the same tree gives the symbol names and the chunk
boundaries. Top-level definitions become chunks of their own; code between them becomes
"module" chunks. A type (class, impl block, interface, struct, enum) is opened: every
member with a body (method, nested type) is a chunk of its own, and the type's own lines
around them (its declaration, docstring, fields, and the signatures of an interface) are
its "header" chunks, of the type's kind and symbol; file context and the symbol list still
show the type whole (a member's span widens its parent's). Only a tiny type (up to
TINY_TYPE_LINES lines) stays one chunk with its methods. A type over the size limits opens
at every member, signatures too, and a function over them is cut into pieces between
statements. Markdown and reStructuredText split at headings; other text at blank lines.

Every line belongs to exactly one chunk and a chunk's text is exactly its lines, so the
chunks' texts joined give the file back and line numbers always agree with the file. The one
exception keeps that promise too: a line longer than the character limit (minified code,
one-line data) is cut into pieces that share its line number, each starting at its
`start_column`, so no chunk is ever larger than the limit (a 2 MB line as one chunk made a
search index entry PostgreSQL refuses).

A file made of very long lines, or too big, skips tree-sitter altogether: its tree costs
about 90 times a minified file's size in memory (a 5 MB line took a parse worker to 440 MB),
and such text has no definitions worth the cost. It splits by lines and characters instead.

LlamaIndex's `CodeSplitter` packs syntax nodes by characters, but returns stripped strings
without line numbers, knows no symbols, and would parse the text a second time; this module
runs the same recursive packing over line numbers on the tree it already has. Nothing here
reads a tokenizer or downloads anything.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import operator
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from tree_sitter import Language, Node, Parser, Tree

from services.ingestor import languages as lang
from services.ingestor.languages import Definition, Grammar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedChunk:
    """One chunk of a file: 1-based inclusive lines and exactly the text of those lines."""

    start_line: int
    end_line: int
    symbol: str  # qualified name ("Outer.Inner.method", "Intro > Install"), "" if none
    kind: str  # one of the kinds in services.ingestor.languages
    text: str
    start_column: int = 0  # 0-based characters into start_line; nonzero for a line's later pieces


# Above either of these a code file is not given to tree-sitter (see the module doc): more
# than a quarter of its characters in lines over LONG_LINE_CHARS, or more than TREE_MAX_BYTES.
# Hand-written code keeps its lines far shorter; real source files over 2 MB are generated.
LONG_LINE_CHARS = 1000
TREE_MAX_BYTES = 2_000_000

# A type this short (`class Builder { Circle build() { ... } }`) stays one chunk: opened,
# its header and methods would be chunks of a line or two that say little alone.
TINY_TYPE_LINES = 5


def parse_source(
    path: str,
    text: str,
    language: str,
    *,
    max_chunk_lines: int = 200,
    max_chunk_chars: int = 6000,
) -> list[ParsedChunk]:
    """Split `text` (the content of `path`) into chunks in line order.

    Chunks stay within `max_chunk_chars` always, and within `max_chunk_lines` except where a
    short run of blank lines or closing brackets joins its neighbour. Never raises for bad
    input: anything that fails splits by lines instead.
    """
    lines = _Lines(text, max(1, max_chunk_lines), max(1, max_chunk_chars))
    if not lines.count:
        return []
    try:
        spans = _merge_trivial(_spans(path, lines, text, language), lines)
        _check_tiling(spans, lines.count)
    except Exception:  # a parser or grammar-table bug must not lose the file
        log.warning("splitting %s as %s failed; using line chunks", path, language, exc_info=True)
        spans = [_Span(s, e, lang.LINES, "") for s, e in lines.pack(0, lines.count - 1, ())]
    chunks: list[ParsedChunk] = []
    for s in spans:
        text = lines.text(s.start, s.end)
        chunk = ParsedChunk(s.start + 1, s.end + 1, s.symbol, s.kind, text)
        chunks += _cut_long(chunk, lines.max_chars) if len(text) > lines.max_chars else [chunk]
    return chunks


def grammar_installed(language: str) -> bool:
    """True when `language` is code and its tree-sitter grammar is installed.

    Without one a code file still parses, by paragraphs, so callers may want to say so.
    """
    grammar = lang.grammar_for(language)
    return grammar is not None and _parser(grammar.name) is not None


@dataclass(frozen=True, slots=True)
class _Span:
    start: int  # 0-based inclusive rows
    end: int
    kind: str
    symbol: str


def _spans(path: str, lines: _Lines, text: str, language: str) -> list[_Span]:
    grammar = lang.grammar_for(language)
    parser = _parser(grammar.name) if grammar and _tree_affordable(lines, text) else None
    if grammar and parser:
        source = text.encode("utf-8", "surrogatepass")
        tree = _parse(parser, source)
        if tree is not None:
            return _CodeWalk(lines, grammar, source).spans(tree.root_node)
        log.warning("parsing %s as %s took too long; splitting it by paragraphs", path, language)
    if language == lang.MARKDOWN:
        return _heading_spans(lines, *_markdown_headings(lines))
    if language == lang.RST:
        return _heading_spans(lines, *_rst_headings(lines))
    cuts = _paragraph_starts(lines)
    return [_Span(s, e, lang.LINES, "") for s, e in lines.pack(0, lines.count - 1, cuts)]


def _tree_affordable(lines: _Lines, text: str) -> bool:
    """False for text whose syntax tree would cost too much memory (see TREE_MAX_BYTES)."""
    if len(text) > TREE_MAX_BYTES or utf8_size(text) > TREE_MAX_BYTES:
        return False
    in_long_lines = sum(n for n in map(len, lines.parts) if n > LONG_LINE_CHARS)
    return in_long_lines * 4 <= len(text)


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


# A piece of a long line ends after the last separator (space, punctuation) in the final
# CUT_WINDOW of its allowance, so that words and numbers stay whole and searchable.
CUT_WINDOW = 0.2
_UP_TO_SEPARATOR = re.compile(r".*\W", re.DOTALL)  # greedy: up to the last separator


def _cut_long(chunk: ParsedChunk, max_chars: int) -> list[ParsedChunk]:
    """`chunk` as pieces of at most `max_chars` characters, in order, that join to its text.

    Each piece's span is the lines it touches: it starts at (start_line, start_column) and
    ends on the line of its last character, so pieces of one line share its number.
    """
    text = chunk.text
    pieces: list[ParsedChunk] = []
    line, column, at = chunk.start_line, chunk.start_column, 0
    while at < len(text):
        end = _cut_point(text, at, max_chars)
        body = text[at:end]
        inner_newlines = body.count("\n", 0, len(body) - 1)  # the last char's own "\n" aside
        pieces.append(replace(chunk, start_line=line, end_line=line + inner_newlines,
                              start_column=column, text=body))
        newlines = inner_newlines + (body[-1] == "\n")
        column = len(body) - body.rfind("\n") - 1 if newlines else column + len(body)
        line, at = line + newlines, end
    return pieces


def _cut_point(text: str, start: int, max_chars: int) -> int:
    """Where the piece from `start` ends: after a line end or separator near the allowance,
    else at the allowance (a run of word characters longer than that is cut anyway)."""
    limit = start + max_chars
    if limit >= len(text):
        return len(text)
    window = max(start + 1, limit - int(max_chars * CUT_WINDOW))
    newline = text.rfind("\n", window, limit)
    if newline >= 0:
        return newline + 1
    separated = _UP_TO_SEPARATOR.match(text, window, limit)
    return separated.end() if separated else limit


class _Lines:
    """The file's lines ('\\n' ends a line, as for tree-sitter's rows) and the size limits."""

    def __init__(self, text: str, max_lines: int, max_chars: int) -> None:
        self.parts = text.split("\n") if text else []
        self.newline_at_end = text.endswith("\n")
        if self.newline_at_end:
            self.parts.pop()
        self.count = len(self.parts)
        self.max_lines = max_lines
        self.max_chars = max_chars
        # offsets[i] is the character offset of line i, counting one for each line end
        # (built with C-level iterators: this runs over every line of every file).
        lengths = itertools.accumulate(map(len, self.parts), initial=0)
        self.offsets = list(map(operator.add, lengths, itertools.count()))

    def fits(self, start: int, end: int) -> bool:
        return end < start or (
            end - start < self.max_lines
            and self.offsets[end + 1] - self.offsets[start] <= self.max_chars
        )

    def longest_fit(self, start: int, end: int) -> int:
        """The last row of the longest piece from `start` within limits: at least one line."""
        end = min(end, start + self.max_lines - 1)
        limit = self.offsets[start] + self.max_chars
        return max(start, bisect.bisect_right(self.offsets, limit, start + 1, end + 2) - 2)

    def pack(self, start: int, end: int, cuts: Iterable[int]) -> list[tuple[int, int]]:
        """Cut rows start..end into pieces within limits, as few as greedy packing allows.

        A piece may begin only at a row in `cuts` unless a stretch between two cuts is too
        big by itself; that stretch is cut into line windows.
        """
        bounds = sorted({c for c in cuts if start < c <= end} | {end + 1})
        pieces: list[tuple[int, int]] = []
        first, best = start, None  # best: the furthest cut so far where a piece may end
        for cut in bounds:
            while not self.fits(first, cut - 1):
                if best is not None and best > first:
                    pieces.append((first, best - 1))
                    first, best = best, None
                else:
                    last = self.longest_fit(first, cut - 1)
                    pieces.append((first, last))
                    first = last + 1
            best = cut
        if first <= end:
            pieces.append((first, end))
        return pieces

    def text(self, start: int, end: int) -> str:
        body = "\n".join(self.parts[start : end + 1])
        return body + "\n" if end < self.count - 1 or self.newline_at_end else body


# -- grammars ---------------------------------------------------------------------------


@functools.cache
def _language(name: str) -> Language | None:
    """A grammar from tree-sitter-language-pack, loaded only from what is installed."""
    try:
        import tree_sitter_language_pack as pack
    except ImportError:
        log.warning("tree-sitter-language-pack is not installed; %s splits by lines", name)
        return None
    # Releases 1.x fetch a missing grammar from the network on first use: ask them only
    # for grammars already on disk. Releases before 1.0 ship every grammar in the wheel.
    downloaded = getattr(pack, "downloaded_languages", None)
    if downloaded is not None and name not in downloaded():
        log.warning("no installed tree-sitter grammar for %s; it splits by lines", name)
        return None
    try:
        return pack.get_language(name)
    except Exception:
        log.warning("cannot load the tree-sitter grammar for %s", name, exc_info=True)
        return None


_local = threading.local()  # a Parser is not safe to share between threads


def _parser(name: str) -> Parser | None:
    parsers: dict[str, Parser | None] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    if name not in parsers:
        language = _language(name)
        parsers[name] = Parser(language) if language is not None else None
    return parsers[name]


# Generated or mislabelled input can keep tree-sitter's error recovery busy for many seconds
# per megabyte (a minified line parsed as C: 10 s for 1.5 MB); real code parses at several
# megabytes a second, so this budget is ten times what a file should need.
PARSE_SECONDS = 1.0
PARSE_SECONDS_PER_MB = 2.0


def _parse(parser: Parser, source: bytes) -> Tree | None:
    """The syntax tree of `source`, or None when parsing ran out of its time budget.

    It parses through a read callback, the only form that can be stopped; a tree made so
    does not hold its source, so node texts come from `source`, never from `Node.text`
    (which even segfaults when the callback returned memoryviews).
    """
    deadline = time.monotonic() + PARSE_SECONDS + PARSE_SECONDS_PER_MB * len(source) / 1e6
    try:
        return parser.parse(
            lambda offset, _point: source[offset : offset + 65536],
            progress_callback=lambda _offset, _has_error: time.monotonic() > deadline,
        )
    except ValueError:  # stopped
        parser.reset()  # or the next parse would resume this one
        return None


# -- code -------------------------------------------------------------------------------


def _first(node: Node) -> int:
    return node.start_point.row


def _last(node: Node) -> int:
    """The node's last row; a node that ends with its newline ends on the row before."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point.row else row


@dataclass(slots=True)
class _Item:
    """A definition found in the tree; its rows include the comments just above it."""

    start: int
    end: int
    kind: str
    symbol: str
    node: Node


class _CodeWalk:
    """Finds definitions with a grammar table and lays chunks over the file's rows."""

    def __init__(self, lines: _Lines, grammar: Grammar, source: bytes) -> None:
        self.lines = lines
        self.grammar = grammar
        self.source = source

    def _name_text(self, node: Node) -> str:
        return _clean_name(self.source[node.start_byte : node.end_byte])

    def spans(self, root: Node) -> list[_Span]:
        children = root.named_children
        items = self._collect(children, "", in_type=False)
        return self._partition(0, self.lines.count - 1, items, lang.MODULE, "", children)

    # finding definitions

    def _collect(self, nodes: list[Node], qualifier: str, *, in_type: bool) -> list[_Item]:
        items: list[_Item] = []
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

    def _definitions(self, node: Node, qualifier: str, *, in_type: bool) -> list[_Item]:
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

    def _definition(
        self, node: Node, rule: Definition, qualifier: str, *, in_type: bool
    ) -> _Item | None:
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
        name = self._name(node, rule)
        if rule.receiver_field is not None:
            qualifier = self._receiver(node, rule.receiver_field) or qualifier
        if kind == lang.FUNCTION and (in_type or "." in name):  # C++ `Circle::area` too
            kind = lang.METHOD
        symbol = f"{qualifier}.{name}" if qualifier and name else qualifier or name
        return _Item(_first(node), _last(node), kind, symbol, node)

    def _name(self, node: Node, rule: Definition) -> str:
        target = node.child_by_field_name(rule.name_field)
        # C declarators nest (pointer → function → identifier): follow them to the name.
        while target is not None and target.type.endswith("declarator"):
            target = target.child_by_field_name("declarator") or target.named_child(0)
        if target is None and self.grammar.name_types:
            target = next(
                (c for c in node.named_children if c.type in self.grammar.name_types), None
            )
        return (self._name_text(target) if target is not None else "") or rule.default_name

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
        items: list[_Item],
        gap_kind: str,
        gap_symbol: str,
        siblings: list[Node],
    ) -> list[_Span]:
        """Rows start..end as the items' chunks with the code between them as gap chunks."""
        spans: list[_Span] = []
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

    def _plan(self, item: _Item) -> list[_Span]:
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
            return [_Span(item.start, item.end, item.kind, item.symbol)]
        return self._pieces(item.start, item.end, item.kind, item.symbol, item.node.named_children)

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
    ) -> list[_Span]:
        return _pieces(self.lines, start, end, kind, symbol, nodes)


def _pieces(
    lines: _Lines, start: int, end: int, kind: str, symbol: str, nodes: list[Node]
) -> list[_Span]:
    """Rows start..end as one chunk, or as pieces cut between the syntax nodes there."""
    if lines.fits(start, end):
        return [_Span(start, end, kind, symbol)]
    near = [n for n in nodes if _last(n) >= start and _first(n) <= end]
    return [_Span(s, e, kind, symbol) for s, e in lines.pack(start, end, _cut_rows(near, lines))]


def _cut_rows(nodes: list[Node], lines: _Lines) -> list[int]:
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


# -- documents ------------------------------------------------------------------------
# Headings are found by scanning lines, not with a grammar: the markdown grammar of
# tree-sitter-language-pack 0.13 crashes the process on some inputs (found by the
# property test), and a crash would take a whole worker pool down with it.

_Heading = tuple[int, int, str]  # (row, level, title)

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
# A list item, quote or indented code: a setext underline after it is a thematic break.
_NOT_PARAGRAPH = re.compile(r" {0,3}(?:[-*+>]|\d{1,9}[.)])(?:[ \t]|$)| {4}|\t")
_RST_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+")


def _markdown_headings(lines: _Lines) -> tuple[list[_Heading], list[int]]:
    """ATX and setext headings outside fenced code, and the rows where blocks begin."""
    parts = lines.parts
    headings: list[_Heading] = []
    cuts: list[int] = []
    first = 0
    if parts and parts[0].rstrip() == "---":  # YAML front matter is not a setext heading
        ends = (r for r in range(1, lines.count) if parts[r].rstrip() in ("---", "..."))
        first = next(ends, -1) + 1
    fence = ""  # the opening fence while inside fenced code
    fresh = True  # the next non-blank line begins a block
    paragraph: int | None = None  # first row of the paragraph a setext underline would end
    for row in range(first, lines.count):
        line = parts[row].rstrip()
        if fence:  # closed by a run of the same character at least as long
            closing = line.lstrip(" ")
            if closing.startswith(fence) and not closing.strip(fence[0]):
                fence, fresh = "", True
            continue
        if not line:
            fresh, paragraph = True, None
            continue
        if fence_match := _FENCE.match(line):
            fence, paragraph = fence_match.group(1), None
            cuts.append(row)
        elif atx := _ATX.fullmatch(line):
            headings.append((row, len(atx.group(1)), (atx.group(2) or "").strip()))
            fresh, paragraph = True, None
        elif (setext := _SETEXT.fullmatch(line)) and paragraph is not None:
            title = " ".join(parts[r].strip() for r in range(paragraph, row))
            headings.append((paragraph, 1 if setext.group(1)[0] == "=" else 2, title))
            fresh, paragraph = True, None
        elif fresh:
            cuts.append(row)
            fresh = False
            paragraph = None if _NOT_PARAGRAPH.match(line) else row
    return headings, cuts


def _rst_headings(lines: _Lines) -> tuple[list[_Heading], list[int]]:
    """Section titles, under- or over-and-underlined; a level per adornment style, in the
    order the styles first appear (as docutils assigns them)."""
    headings: list[_Heading] = []
    cuts: list[int] = []
    styles: dict[tuple[str, bool], int] = {}
    after_blank, row = True, 0
    while row < lines.count:
        if not lines.parts[row].strip():
            after_blank, row = True, row + 1
            continue
        title = _rst_title(lines, row) if after_blank else None
        if title is None:
            if after_blank:
                cuts.append(row)
            after_blank, row = False, row + 1
            continue
        text, height = title
        adornment = lines.parts[row + height - 1].strip()[0]
        level = styles.setdefault((adornment, height == 3), len(styles) + 1)
        headings.append((row, level, text))
        after_blank, row = False, row + height
    return headings, cuts


def _rst_title(lines: _Lines, row: int) -> tuple[str, int] | None:
    """The title starting at `row` (after a blank line) and its height in lines, if any."""
    line, count = lines.parts[row].rstrip(), lines.count
    below = lines.parts[row + 1].rstrip() if row + 1 < count else ""
    if not below:
        return None
    if _RST_ADORNMENT.fullmatch(line):  # overline, title, underline of the same character
        underline = lines.parts[row + 2].rstrip() if row + 2 < count else ""
        if below.strip() and underline[:1] == line[0] and _RST_ADORNMENT.fullmatch(underline):
            return below.strip(), 3
        return None
    # docutils accepts an underline shorter than its title, with a warning, from 4 characters.
    if (
        not line[0].isspace()
        and _RST_ADORNMENT.fullmatch(below)
        and len(below) >= min(len(line), 4)
    ):
        return line.strip(), 2
    return None


def _heading_spans(lines: _Lines, headings: list[_Heading], cuts: list[int]) -> list[_Span]:
    """One "section" per heading, named by the path of headings above it; a section over
    the limits is cut where its blocks begin."""
    starts = [row for row, _, _ in headings]
    sections = [(0, "")] if not starts or starts[0] > 0 else []  # text before any heading
    path: list[tuple[int, str]] = []
    for row, level, title in headings:
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        sections.append((row, " > ".join(t for _, t in path)))
    spans: list[_Span] = []
    for i, (row, symbol) in enumerate(sections):
        end = sections[i + 1][0] - 1 if i + 1 < len(sections) else lines.count - 1
        spans += [_Span(s, e, lang.SECTION, symbol) for s, e in lines.pack(row, end, cuts)]
    return spans


def _paragraph_starts(lines: _Lines) -> list[int]:
    blank = [not part.strip() for part in lines.parts]
    return [row for row in range(1, lines.count) if blank[row - 1] and not blank[row]]


# -- finishing --------------------------------------------------------------------------

# Lines that mean nothing alone: blank, closing brackets, Ruby's `end`.
_TRIVIAL = re.compile(r"\s*(?:[{}()\[\];,]*|end;?)\s*")


def _merge_trivial(spans: list[_Span], lines: _Lines) -> list[_Span]:
    """Joins a chunk of blank lines or closing brackets to the chunk before it (or after,
    at the top of the file), unless it is long and the result would break the limits."""
    merged: list[_Span] = []
    held: _Span | None = None  # trivial lines at the top of the file, waiting for a chunk
    for span in spans:
        trivial = all(_TRIVIAL.fullmatch(lines.parts[r]) for r in range(span.start, span.end + 1))
        if trivial and merged:
            prev = merged[-1]
            if span.end - span.start < 5 or lines.fits(prev.start, span.end):
                merged[-1] = replace(prev, end=span.end)
                continue
        elif trivial:
            held = span if held is None else replace(held, end=span.end)
            continue
        if held is not None:
            span, held = replace(span, start=held.start), None
        merged.append(span)
    if held is not None:  # nothing but trivial lines
        merged.append(held)
    # Blank lines after a chunk end it rather than start the next one.
    for i in range(1, len(merged)):
        span, blank = merged[i], merged[i].start
        while blank < span.end and not lines.parts[blank].strip():
            blank += 1
        if blank > span.start:
            merged[i - 1] = replace(merged[i - 1], end=blank - 1)
            merged[i] = replace(span, start=blank)
    return merged


def _check_tiling(spans: list[_Span], count: int) -> None:
    """Every row in exactly one span, in order; anything else is a bug to fall back from."""
    expected = 0
    for span in spans:
        if span.start != expected or span.end < span.start:
            raise ValueError(f"chunk rows {span.start}..{span.end} do not follow row {expected}")
        expected = span.end + 1
    if expected != count:
        raise ValueError(f"chunks end at row {expected}, the file has {count}")
