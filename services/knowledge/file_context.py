"""GetFileContext: one indexed file's language, summary, symbols, chunks and text, in budget.

The text is the indexed text (the chunks' texts joined give the file back exactly), so its
line numbers always agree with the symbols' and chunks' spans, and the service never reads
the file itself: a path can only reach what the index holds (see paths.py). `stale` says
whether the file on disk has changed since.

The budget goes first to the file's facts and summary, then up to a quarter each to the
symbol list and the chunk list, then to the text (from `start_line`, whole lines while they
fit; a first line too long for the budget is cut between characters), and what the text does
not need goes back to the two lists. With a line range (`start_line` above 1 or an
`end_line`) the two lists hold only the symbols and chunks overlapping it, and say how many
others the file has. Chunks page with a token; text continues with
`start_line` = `text_end_line` + 1, or, when it was cut inside a line (a minified file can be
one 5 MB line), at `start_column` = `next_start_column` of that same line, so any file can be
read to its end page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.errors import InvalidArgument, NotFound
from services.domain.models import Chunk, FileRecord
from services.knowledge import kinds
from services.knowledge.budget import (
    RESERVE_BYTES,
    Room,
    cut_field,
    cut_text,
    field_size,
    fill,
    safe_text,
    utf8_size,
)
from services.storage.port import Files

FIELD_MAX_BYTES = 1000  # a chunk's description or purpose
SUMMARY_MAX_BYTES = 4000
LIST_SHARE = 0.25  # of the room after the file's facts, for each of symbols and chunks


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


@dataclass(frozen=True)
class _Text:
    """The text part of a response."""

    text: str = ""
    first: int = 0  # line numbers, 0 when there is no text
    last: int = 0
    cut: bool = False  # the wanted range was not given whole
    start_column: int = 0  # where in line `first` the text begins
    next_column: int = 0  # where in line `last` the rest begins, when cut inside it


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


def file_context_response(record: FileRecord, chunks: Sequence[Chunk], stale: bool,
                          lines: LineRange, chunk_start: int, budget: int,
                          token_for: Callable[[int], str]) -> pb.GetFileContextResponse:
    if lines.end and lines.start and lines.end < lines.start:
        raise InvalidArgument("end_line is before start_line", metadata={"field": "end_line"})
    response = pb.GetFileContextResponse(
        path=safe_text(record.path), language=safe_text(record.language),
        size_bytes=record.size_bytes, content_hash=record.content_hash, stale=stale)
    in_range = _in_range(chunks, lines)  # its counts are set first: the budget sees them
    response.symbols_outside_range = in_range.symbols_outside
    response.chunks_outside_range = in_range.chunks_outside
    # What is added at the end: token, truncated flag, text line numbers and columns.
    tail = field_size(len(token_for(len(chunks))) + 8) + 2 + 24
    room = Room(budget - RESERVE_BYTES - tail - response.ByteSize())
    summary_max = min(SUMMARY_MAX_BYTES, room.left // 5)
    response.summary, truncated = cut_field(record.summary, summary_max)
    room = Room(budget - RESERVE_BYTES - tail - response.ByteSize())

    symbols = in_range.symbols
    listed = chunks[chunk_start:in_range.chunks_end]
    list_room = int(room.left * LIST_SHARE)

    def symbol(s: Symbol) -> pb.FileSymbol:
        return pb.FileSymbol(name=safe_text(s.name), kind=kinds.to_proto(s.kind),
                             start_line=s.start_line, end_line=s.end_line)

    cut_fields = False

    def chunk_entry(c: Chunk) -> pb.FileChunk:
        nonlocal cut_fields
        description, cut_d = cut_field(c.description, FIELD_MAX_BYTES)
        purpose, cut_p = cut_field(c.purpose, FIELD_MAX_BYTES)
        cut_fields |= cut_d or cut_p
        return pb.FileChunk(chunk_id=c.id, symbol=safe_text(c.symbol),
                            kind=kinds.to_proto(c.kind), start_line=c.start_line,
                            end_line=c.end_line, description=description, purpose=purpose,
                            start_column=c.start_column)

    symbol_room, chunk_room = Room(list_room), Room(list_room)
    shown_symbols, _ = fill(symbol_room, symbols, symbol)
    shown_chunks, _ = fill(chunk_room, listed, chunk_entry)
    room.left -= (list_room - symbol_room.left) + (list_room - chunk_room.left)

    text = _text(lines_of(chunks), lines, room)
    response.text = text.text
    response.text_start_line, response.text_end_line = text.first, text.last
    response.text_start_column, response.next_start_column = text.start_column, text.next_column
    room.left -= field_size(utf8_size(text.text))

    # Give what the text left over back to the lists.
    more, _ = fill(room, symbols[len(shown_symbols):], symbol)
    shown_symbols += more
    more, _ = fill(room, listed[len(shown_chunks):], chunk_entry)
    shown_chunks += more
    response.symbols.extend(shown_symbols)
    response.chunks.extend(shown_chunks)

    next_chunk = chunk_start + len(shown_chunks)
    more_chunks = next_chunk < in_range.chunks_end
    if more_chunks:
        response.next_page_token = token_for(next_chunk)
    response.truncated = (truncated or text.cut or cut_fields
                          or len(shown_symbols) < len(symbols) or more_chunks)
    return response


@dataclass(frozen=True)
class _InRange:
    """What a request's line range covers: the symbols overlapping it, where its chunks end
    (an index into the file's chunks), and how many symbols and chunks lie outside it."""

    symbols: list[Symbol]
    chunks_end: int
    symbols_outside: int = 0
    chunks_outside: int = 0


def _in_range(chunks: Sequence[Chunk], lines: LineRange) -> _InRange:
    """Without a range (from line 1 to the end) the whole file; with one, only what overlaps
    it, so a 36-line question is not answered with every symbol and chunk of the file."""
    symbols = symbols_of(chunks)
    if lines.start <= 1 and not lines.end and not lines.column:
        return _InRange(symbols, len(chunks))
    first, last = max(lines.start, 1), lines.end or max((c.end_line for c in chunks), default=0)
    inside = [s for s in symbols if s.end_line >= first and s.start_line <= last]
    start = first_chunk_at(chunks, first, lines.column)
    end = next((i for i in range(start, len(chunks)) if chunks[i].start_line > last),
               len(chunks))
    return _InRange(inside, end, len(symbols) - len(inside), len(chunks) - (end - start))


def _text(lines: list[str], wanted: LineRange, room: Room) -> _Text:
    """The wanted lines (the first from `wanted.column`) that fit in `room`."""
    start = max(wanted.start, 1)
    end = min(wanted.end or len(lines), len(lines))
    if start > end:
        return _Text()
    column = wanted.column
    if column and column >= len(lines[start - 1]):
        raise InvalidArgument(f"start_column {column} is beyond line {start}, which has "
                              f"{len(lines[start - 1])} characters with its line end",
                              metadata={"field": "start_column"})
    allowance = room.left - 4  # the field's tag and length
    taken: list[str] = []
    size = 0
    for number in range(start, end + 1):
        line = safe_text(lines[number - 1])  # as many characters as before: columns agree
        if number == start:
            line = line[column:]
        line_size = utf8_size(line)
        if size + line_size > allowance:
            if not taken:  # one line longer than the budget: as much of it as fits
                piece, _ = cut_text(line, allowance, at_line=False)
                if piece:
                    return _Text(piece, number, number, True, column, column + len(piece))
            break
        taken.append(line)
        size += line_size
    if not taken:
        return _Text(cut=True)
    last = start + len(taken) - 1
    return _Text("".join(taken), start, last, last < end, column)
