"""Parse stage: split one file into chunks along its syntax tree or its headings.

Code is parsed once with tree-sitter; the same tree gives the symbol names and the chunk
boundaries (`parse_code` walks it: definitions, types opened at their members, functions cut
between statements; file context and the symbol list still show a type whole, as a member's
span widens its parent's). Markdown and reStructuredText split at headings; other text at
blank lines (`parse_markup`). Both lay whole rows within the size limits (`parse_rows`).

Every line belongs to exactly one chunk and a chunk's text is exactly its lines, so the
chunks' texts joined give the file back and line numbers always agree with the file. The one
exception keeps that promise too: a line longer than the character limit (minified code,
one-line data) is cut into pieces that share its line number, each starting at its
`start_column`, so no chunk is ever larger than the limit (a 2 MB line as one chunk made a
search index entry PostgreSQL refuses).

A file made of very long lines, or too big, skips tree-sitter altogether: its tree costs
about 90 times a minified file's size in memory (a 5 MB line took a parse worker to 440 MB),
and such text has no definitions worth the cost. It splits by lines and characters instead.
Nothing here reads a tokenizer or downloads anything.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from dataclasses import dataclass, replace

from tree_sitter import Language, Node, Parser, Tree

from services.domain.symbols import FileSymbols
from services.ingestor import grammars as lang
from services.ingestor.parse_code import FUNCTION_LINES, CodeWalk
from services.ingestor.parse_markup import (
    heading_spans,
    markdown_headings,
    paragraph_starts,
    rst_headings,
)
from services.ingestor.parse_rows import TRIVIAL, Lines, Span
from services.ingestor.symbols import rules_for
from services.ingestor.symbols.extract import Extractor
from services.workspace_files.languages import MARKDOWN, RST

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedChunk:
    """One chunk of a file: 1-based inclusive lines and exactly the text of those lines."""

    start_line: int
    end_line: int
    symbol: str  # qualified name ("Outer.Inner.method", "Intro > Install"), "" if none
    kind: str  # one of the kinds in services.ingestor.grammars
    text: str
    start_column: int = 0  # 0-based characters into start_line; nonzero for a line's later pieces


# Above either of these a code file is not given to tree-sitter (see the module doc): more
# than a quarter of its characters in lines over LONG_LINE_CHARS, or more than TREE_MAX_BYTES.
# Hand-written code keeps its lines far shorter; real source files over 2 MB are generated.
LONG_LINE_CHARS = 1000
TREE_MAX_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A file's chunks and what its syntax tree says about symbols (empty when skipped)."""

    chunks: list[ParsedChunk]
    symbols: FileSymbols = FileSymbols()


def parse_source(
    path: str,
    text: str,
    language: str,
    *,
    max_chunk_lines: int = 200,
    max_chunk_chars: int = 6000,
    max_function_lines: int = FUNCTION_LINES,
) -> list[ParsedChunk]:
    """Split `text` (the content of `path`) into chunks in line order (see `parse_file`)."""
    return parse_file(
        path, text, language, symbols=False, max_chunk_lines=max_chunk_lines,
        max_chunk_chars=max_chunk_chars, max_function_lines=max_function_lines,
    ).chunks


def parse_file(
    path: str,
    text: str,
    language: str,
    *,
    symbols: bool = True,
    max_chunk_lines: int = 200,
    max_chunk_chars: int = 6000,
    max_function_lines: int = FUNCTION_LINES,
) -> ParsedFile:
    """Split `text` (the content of `path`) into chunks in line order, and with `symbols`
    extract its definitions, references and imports from the same syntax tree.

    Chunks stay within `max_chunk_chars` always, and within `max_chunk_lines` except where a
    short run of blank lines or closing brackets joins its neighbour; a function's chunks
    within `max_function_lines` (parse_code.FUNCTION_LINES). Never raises for bad
    input: anything that fails splits by lines instead (and a failed extraction gives no
    symbols, never fewer chunks).
    """
    lines = Lines(text, max(1, max_chunk_lines), max(1, max_chunk_chars))
    if not lines.count:
        return ParsedFile([])
    found = FileSymbols()
    try:
        raw, walk, root = _spans(path, lines, text, language, max(1, max_function_lines))
        spans = _merge_trivial(raw, lines)
        _check_tiling(spans, lines.count)
    except Exception:  # a parser or grammar-table bug must not lose the file
        log.warning("splitting %s as %s failed; using line chunks", path, language, exc_info=True)
        spans = [Span(s, e, lang.LINES, "") for s, e in lines.pack(0, lines.count - 1, ())]
        walk = root = None
    if symbols and walk is not None and root is not None:
        found = _symbols(path, language, walk, root)
    chunks: list[ParsedChunk] = []
    for s in spans:
        text = lines.text(s.start, s.end)
        chunk = ParsedChunk(s.start + 1, s.end + 1, s.symbol, s.kind, text)
        chunks += _cut_long(chunk, lines.max_chars) if len(text) > lines.max_chars else [chunk]
    return ParsedFile(chunks, found)


def _symbols(path: str, language: str, walk: CodeWalk, root: Node) -> FileSymbols:
    rules = rules_for(language)
    grammar_language = _language(walk.grammar.name)
    if rules is None or grammar_language is None:
        return FileSymbols()
    try:
        return Extractor(walk, grammar_language, rules, path).extract(root)
    except Exception:  # a rule bug costs the file its symbols, never its chunks
        log.warning("extracting symbols of %s failed", path, exc_info=True)
        return FileSymbols()


def grammar_installed(language: str) -> bool:
    """True when `language` is code and its tree-sitter grammar is installed.

    Without one a code file still parses, by paragraphs, so callers may want to say so.
    """
    grammar = lang.grammar_for(language)
    return grammar is not None and _parser(grammar.name) is not None


def _spans(
    path: str, lines: Lines, text: str, language: str, function_lines: int
) -> tuple[list[Span], CodeWalk | None, Node | None]:
    """The file's spans, and for code the walk and syntax tree they came from."""
    grammar = lang.grammar_for(language)
    parser = _parser(grammar.name) if grammar and _tree_affordable(lines, text) else None
    if grammar and parser:
        source = text.encode("utf-8", "surrogatepass")
        tree = _parse(parser, source)
        if tree is not None:
            walk = CodeWalk(lines, grammar, source, function_lines)
            return walk.spans(tree.root_node), walk, tree.root_node
        log.warning("parsing %s as %s took too long; splitting it by paragraphs", path, language)
    if language == MARKDOWN:
        return heading_spans(lines, *markdown_headings(lines)), None, None
    if language == RST:
        return heading_spans(lines, *rst_headings(lines)), None, None
    cuts = paragraph_starts(lines)
    spans = [Span(s, e, lang.LINES, "") for s, e in lines.pack(0, lines.count - 1, cuts)]
    return spans, None, None


def _tree_affordable(lines: Lines, text: str) -> bool:
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
    """Where the piece from `start` ends: after the last line end within the allowance, else
    after a separator near the allowance, else at the allowance (a run of word characters
    longer than that is cut anyway)."""
    limit = start + max_chars
    if limit >= len(text):
        return len(text)
    # Any line end, not only one near the allowance: a piece that ran on into the next line
    # would hold the first letters of a line of its own ("e" of a merged `end`), two rows
    # over a limit meant for one.
    newline = text.rfind("\n", start, limit)
    if newline >= 0:
        return newline + 1
    window = max(start + 1, limit - int(max_chars * CUT_WINDOW))
    separated = _UP_TO_SEPARATOR.match(text, window, limit)
    return separated.end() if separated else limit


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


# -- finishing --------------------------------------------------------------------------

def _merge_trivial(spans: list[Span], lines: Lines) -> list[Span]:
    """Joins a chunk of blank lines or closing brackets to the chunk before it (or after,
    at the top of the file), unless it is long and the result would break the limits."""
    merged: list[Span] = []
    held: Span | None = None  # trivial lines at the top of the file, waiting for a chunk
    for span in spans:
        trivial = all(TRIVIAL.fullmatch(lines.parts[r]) for r in range(span.start, span.end + 1))
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


def _check_tiling(spans: list[Span], count: int) -> None:
    """Every row in exactly one span, in order; anything else is a bug to fall back from."""
    expected = 0
    for span in spans:
        if span.start != expected or span.end < span.start:
            raise ValueError(f"chunk rows {span.start}..{span.end} do not follow row {expected}")
        expected = span.end + 1
    if expected != count:
        raise ValueError(f"chunks end at row {expected}, the file has {count}")
