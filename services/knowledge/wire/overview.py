"""GetOverview's response: each list filled to its share of the byte budget, most important
entries first; what a list does not use goes to the others."""

from __future__ import annotations

from knowport.v1 import knowledge_service_pb2 as pb
from services.knowledge.overview import Overview
from services.knowledge.wire import kinds
from services.knowledge.wire.fit import (
    RESERVE_BYTES,
    Room,
    field_size,
    fill,
    safe_text,
    shares,
    utf8_size,
)

# Shares of the room after the languages: layout, key modules, entry points, symbols. What a
# list does not use goes to the others, in the order of TOP_UP.
SHARES = (0.2, 0.3, 0.1, 0.4)
TOP_UP = (2, 1, 3, 0)


def overview_response(workspace_id: str, root: str, overview: Overview, max_depth: int,
                      budget: int) -> pb.GetOverviewResponse:
    response = pb.GetOverviewResponse(workspace=workspace_id, root=safe_text(root))
    room = Room(budget - RESERVE_BYTES - response.ByteSize() - 2)
    languages, cut_languages = fill(room, overview.languages, lambda s: pb.LanguageShare(
        language=safe_text(s[0]), files=s[1], bytes=s[2]))
    response.languages.extend(languages)

    sources = [
        [d for d in overview.folders if d.depth <= max_depth],
        overview.key_modules,
        overview.entry_points,
        overview.symbols,
    ]
    makers = [
        lambda d: pb.LayoutEntry(path=safe_text(d.path), files=d.files, bytes=d.bytes),
        lambda m: pb.KeyModule(path=safe_text(m[0]), purpose=safe_text(m[1])),
        None,  # entry points are plain strings
        lambda s: pb.RankedSymbol(name=safe_text(s.name), kind=kinds.to_proto(s.kind),
                                  path=safe_text(s.path), start_line=s.start_line,
                                  rank=round(s.rank, 4)),
    ]
    shown: list[list] = [[] for _ in sources]
    complete = [False] * len(sources)

    def extend(index: int, limit_room: Room) -> None:
        remaining = sources[index][len(shown[index]):]
        if makers[index] is None:
            for path in remaining:
                text = safe_text(path)
                if not limit_room.take(_string_entry(text)):
                    return
                shown[index].append(text)
            complete[index] = True
            return
        added, cut = fill(limit_room, remaining, makers[index])
        shown[index] += added
        complete[index] = not cut

    for index, share in enumerate(shares(room.left, SHARES)):
        part = Room(share)
        extend(index, part)
        room.left -= share - part.left
    for index in TOP_UP:
        if not complete[index]:
            extend(index, room)

    layout, key_modules, entry_points, symbols = shown
    response.layout.extend(layout)
    response.key_modules.extend(key_modules)
    response.entry_points.extend(entry_points)
    response.symbols.extend(symbols)
    response.truncated = cut_languages or not all(complete)
    return response


def _string_entry(text: str) -> int:
    return field_size(utf8_size(text))
