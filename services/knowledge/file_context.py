"""GetFileContext: one indexed file's language, summary, symbols, chunks and text, in budget.

The text is the indexed text (the chunks' texts joined give the file back exactly), so its
line numbers always agree with the symbols' and chunks' spans, and the service never reads
the file itself: a path can only reach what the index holds (see paths.py). `stale` says
whether the file on disk has changed since.

The budget goes first to the file's facts and summary, then up to a quarter each to the
symbol list and the chunk list, then to the text (from `start_line`, whole lines while they
fit; a first line too long for the budget is cut between characters), and what the text does
not need goes back to the two lists. Chunks page with a token; text continues with
`start_line` = `text_end_line` + 1.
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
from services.storage.port import Storage

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


async def load(storage: Storage, workspace_id: str, path: str) -> tuple[FileRecord, list[Chunk]]:
    record = await storage.get_file(workspace_id, path)
    if record is None:
        raise NotFound(f"{path!r} is not an indexed file of this workspace",
                       reason="FILE_NOT_FOUND", metadata={"path": path})
    chunks = await storage.get_chunks(workspace_id, path)
    # Storage gives line order; the pieces of one long line follow each other by column.
    return record, sorted(chunks, key=lambda c: (c.start_line, c.start_column, c.end_line))


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


def first_chunk_at(chunks: Sequence[Chunk], line: int) -> int:
    """Index of the first chunk that ends at or after `line`."""
    return next((i for i, c in enumerate(chunks) if c.end_line >= line), len(chunks))


def file_context_response(record: FileRecord, chunks: Sequence[Chunk], stale: bool,
                          lines: LineRange, chunk_start: int, budget: int,
                          token_for: Callable[[int], str]) -> pb.GetFileContextResponse:
    if lines.end and lines.start and lines.end < lines.start:
        raise InvalidArgument("end_line is before start_line", metadata={"field": "end_line"})
    response = pb.GetFileContextResponse(
        path=safe_text(record.path), language=safe_text(record.language),
        size_bytes=record.size_bytes, content_hash=record.content_hash, stale=stale)
    # What is added at the end: token, truncated flag, text line numbers.
    tail = field_size(len(token_for(len(chunks))) + 8) + 2 + 12
    room = Room(budget - RESERVE_BYTES - tail - response.ByteSize())
    summary_max = min(SUMMARY_MAX_BYTES, room.left // 5)
    response.summary, truncated = cut_field(record.summary, summary_max)
    room = Room(budget - RESERVE_BYTES - tail - response.ByteSize())

    symbols = symbols_of(chunks)
    listed = chunks[chunk_start:]
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
                            end_line=c.end_line, description=description, purpose=purpose)

    symbol_room, chunk_room = Room(list_room), Room(list_room)
    shown_symbols, _ = fill(symbol_room, symbols, symbol)
    shown_chunks, _ = fill(chunk_room, listed, chunk_entry)
    room.left -= (list_room - symbol_room.left) + (list_room - chunk_room.left)

    text, first, last, text_cut = _text(lines_of(chunks), lines, room)
    response.text, response.text_start_line, response.text_end_line = text, first, last
    room.left -= field_size(utf8_size(text))

    # Give what the text left over back to the lists.
    more, _ = fill(room, symbols[len(shown_symbols):], symbol)
    shown_symbols += more
    more, _ = fill(room, listed[len(shown_chunks):], chunk_entry)
    shown_chunks += more
    response.symbols.extend(shown_symbols)
    response.chunks.extend(shown_chunks)

    next_chunk = chunk_start + len(shown_chunks)
    if next_chunk < len(chunks):
        response.next_page_token = token_for(next_chunk)
    response.truncated = (truncated or text_cut or cut_fields
                          or len(shown_symbols) < len(symbols) or next_chunk < len(chunks))
    return response


def _text(lines: list[str], wanted: LineRange, room: Room) -> tuple[str, int, int, bool]:
    """(text, first line, last line, whether the wanted range was cut) within `room`."""
    start = max(wanted.start, 1)
    end = min(wanted.end or len(lines), len(lines))
    if start > end:
        return "", 0, 0, False
    allowance = room.left - 4  # the field's tag and length
    taken: list[str] = []
    size = 0
    for number in range(start, end + 1):
        line = safe_text(lines[number - 1])
        line_size = utf8_size(line)
        if size + line_size > allowance:
            if not taken:  # one line longer than the budget: as much of it as fits
                piece, _ = cut_text(line, allowance, at_line=False)
                if piece:
                    return piece, number, number, True
            break
        taken.append(line)
        size += line_size
    if not taken:
        return "", 0, 0, True
    last = start + len(taken) - 1
    return "".join(taken), start, last, last < end
