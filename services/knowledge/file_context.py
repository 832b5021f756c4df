"""GetFileContext's use case: one indexed file's record, symbols, lines and chunks.

The text is the indexed text (the chunks' texts joined give the file back exactly), so its
line numbers always agree with the symbols' and chunks' spans, and the service never reads
the file itself: a path can only reach what the index holds (see paths.py). `stale` says
whether the file on disk has changed since. The response is built to the byte budget in
wire/file_context.py.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from services.domain.errors import NotFound
from services.domain.models import Chunk, FileRecord
from services.storage.port import Files


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str
    start_line: int
    end_line: int


@dataclass(frozen=True)
class LineRange:
    start: int  # 1-based; 0 means from the first line
    end: int  # inclusive; 0 means to the last line
    column: int = 0  # 0-based characters into line `start` where the text begins


async def load(storage: Files, workspace_id: str, path: str) -> tuple[FileRecord, list[Chunk]]:
    record = await storage.get_file(workspace_id, path)
    if record is None:
        raise NotFound(f"{path!r} is not an indexed file of this workspace",
                       reason="FILE_NOT_FOUND", metadata={"path": path})
    return record, await storage.get_chunks(workspace_id, path)  # in text order


def symbols_of(chunks: Sequence[Chunk]) -> list[Symbol]:
    """Named symbols with their whole spans: a symbol split over several chunks (a long
    function, a class opened into its members) spans them all, and a member's span widens
    its parents'."""
    spans: dict[str, list] = {}  # name -> [kind, start, end]
    for chunk in chunks:
        if not chunk.symbol:
            continue
        found = spans.get(chunk.symbol)
        if found is None:
            spans[chunk.symbol] = [chunk.kind, chunk.start_line, chunk.end_line]
        else:
            found[1] = min(found[1], chunk.start_line)
            found[2] = max(found[2], chunk.end_line)
        for parent in _parents(chunk.symbol):
            outer = spans.get(parent)
            if outer is not None:
                outer[2] = max(outer[2], chunk.end_line)
    symbols = [Symbol(name, kind, start, end) for name, (kind, start, end) in spans.items()]
    return sorted(symbols, key=lambda s: (s.start_line, -s.end_line, s.name))


def _parents(symbol: str) -> Iterator[str]:
    for separator in (".", " > "):
        parts = symbol.split(separator)
        for end in range(1, len(parts)):
            yield separator.join(parts[:end])


def lines_of(chunks: Sequence[Chunk]) -> list[str]:
    """The file's lines with their line ends, split at '\\n' only, as the parser numbers them."""
    text = "".join(chunk.text for chunk in chunks)
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def first_chunk_at(chunks: Sequence[Chunk], line: int, column: int = 0) -> int:
    """Index of the chunk holding character `column` of `line` (or the first one after)."""
    index = next((i for i, c in enumerate(chunks) if c.end_line >= line), len(chunks))
    # The pieces of a long line share its number: skip those that end before `column`.
    while index + 1 < len(chunks) and (
            chunks[index + 1].start_line, chunks[index + 1].start_column) <= (line, column):
        index += 1
    return index


@dataclass(frozen=True)
class InRange:
    """What a request's line range covers: the symbols overlapping it, where its chunks end
    (an index into the file's chunks), and how many symbols and chunks lie outside it."""

    symbols: list[Symbol]
    chunks_end: int
    symbols_outside: int = 0
    chunks_outside: int = 0


def in_range(chunks: Sequence[Chunk], lines: LineRange) -> InRange:
    """Without a range (from line 1 to the end) the whole file; with one, only what overlaps
    it, so a 36-line question is not answered with every symbol and chunk of the file."""
    symbols = symbols_of(chunks)
    if lines.start <= 1 and not lines.end and not lines.column:
        return InRange(symbols, len(chunks))
    first, last = max(lines.start, 1), lines.end or max((c.end_line for c in chunks), default=0)
    inside = [s for s in symbols if s.end_line >= first and s.start_line <= last]
    start = first_chunk_at(chunks, first, lines.column)
    end = next((i for i in range(start, len(chunks)) if chunks[i].start_line > last),
               len(chunks))
    return InRange(inside, end, len(symbols) - len(inside), len(chunks) - (end - start))
