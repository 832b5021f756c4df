"""GetFileContext's response, built to the byte budget.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.errors import InvalidArgument
from services.domain.models import Chunk, FileRecord
from services.knowledge import file_context
from services.knowledge.wire import kinds
from services.knowledge.wire.fit import (
    RESERVE_BYTES,
    Room,
    cut_field,
    cut_text,
    field_size,
    fill,
    safe_text,
    utf8_size,
)

FIELD_MAX_BYTES = 1000  # a chunk's description or purpose
SUMMARY_MAX_BYTES = 4000
LIST_SHARE = 0.25  # of the room after the file's facts, for each of symbols and chunks


@dataclass(frozen=True)
class _Text:
    """The text part of a response."""

    text: str = ""
    first: int = 0  # line numbers, 0 when there is no text
    last: int = 0
    cut: bool = False  # the wanted range was not given whole
    start_column: int = 0  # where in line `first` the text begins
    next_column: int = 0  # where in line `last` the rest begins, when cut inside it


def file_context_response(record: FileRecord, chunks: Sequence[Chunk], stale: bool,
                          lines: file_context.LineRange, chunk_start: int, budget: int,
                          token_for: Callable[[int], str]) -> pb.GetFileContextResponse:
    if lines.end and lines.start and lines.end < lines.start:
        raise InvalidArgument("end_line is before start_line", metadata={"field": "end_line"})
    response = pb.GetFileContextResponse(
        path=safe_text(record.path), language=safe_text(record.language),
        size_bytes=record.size_bytes, content_hash=record.content_hash, stale=stale)
    # The range's counts are set first: the budget sees them.
    in_range = file_context.in_range(chunks, lines)
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

    def symbol(s: file_context.Symbol) -> pb.FileSymbol:
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

    text = _text(file_context.lines_of(chunks), lines, room)
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


def _text(lines: list[str], wanted: file_context.LineRange, room: Room) -> _Text:
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
