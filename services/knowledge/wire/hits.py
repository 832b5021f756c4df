"""A page of search hits as a SearchResponse that fits the byte budget.

Hits keep their order. Each hit's fixed fields (path, span, symbol, score, and the enriched
description and purpose, at most FIELD_MAX_BYTES each) are measured first; hits are taken
while each can still carry at least a short snippet, and the bytes left are shared out
among the snippets so that short chunks come whole and long ones get an equal share
("water filling"). Whatever does not fit goes to the next page: the page token resumes at
the first hit not shown.

A snippet is the chunk's start unless that would leave out every query term (a term deep in
a long chunk, e.g. a piece of a minified line); then it is a window starting a little before
the first term found, and `snippet_offset` says where in the chunk it begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import ScoredChunk
from services.knowledge.query_terms import word_forms
from services.knowledge.search import Mode, SearchPage
from services.knowledge.wire import kinds
from services.knowledge.wire.fit import (
    RESERVE_BYTES,
    cut_field,
    cut_text,
    entry_size,
    field_size,
    safe_text,
    suffix_within,
    utf8_size,
)

FIELD_MAX_BYTES = 1000  # description and purpose are a few sentences; more is cut
MIN_SNIPPET_BYTES = 240  # a hit is shown only with at least this much of its text
# Bytes a snippet adds besides its text: its tag and length (up to 3 bytes for up to 2 MB),
# up to 2 more for the hit's own length prefix and up to 4 for its `snippet_offset`.
_OVERHEAD = 10
LEAD_SHARE = 0.25  # of a windowed snippet's bytes, the text shown before the term
_MODES = {Mode.LEXICAL: pb.SEARCH_MODE_LEXICAL, Mode.SEMANTIC: pb.SEARCH_MODE_SEMANTIC,
          Mode.HYBRID: pb.SEARCH_MODE_HYBRID}


def _hit(scored: ScoredChunk, stale: bool, field_max: int) -> tuple[pb.SearchHit, bool]:
    chunk = scored.chunk
    description, cut_d = cut_field(chunk.description, field_max)
    purpose, cut_p = cut_field(chunk.purpose, field_max)
    hit = pb.SearchHit(chunk_id=chunk.id, path=safe_text(chunk.path),
                       start_line=chunk.start_line, end_line=chunk.end_line,
                       symbol=safe_text(chunk.symbol), kind=kinds.to_proto(chunk.kind),
                       language=safe_text(chunk.language), score=scored.score,
                       description=description, purpose=purpose, stale=stale,
                       start_column=chunk.start_column, workspace=scored.workspace)
    return hit, cut_d or cut_p


def term_patterns(query: str) -> list[re.Pattern[str]]:
    """What finds each of the query's terms in a chunk's text (any case), longest first: the
    longest is the most telling (`needle_word` before its parts `needle` and `word`)."""
    terms = sorted({t for forms in word_forms(query) for t in forms}, key=lambda t: (-len(t), t))
    return [re.compile(re.escape(term), re.IGNORECASE) for term in terms]


def snippet(text: str, allowance: int,
            terms: Sequence[re.Pattern[str]]) -> tuple[str, int, bool]:
    """(snippet, its offset in `text` in characters, whether it was cut) within `allowance`
    bytes: the start of `text`, or, when the longest term found is not in it, a window
    around that term's first occurrence."""
    head, cut = cut_text(text, allowance)
    found = next((m for m in map(lambda t: t.search(text), terms) if m), None) if cut else None
    if found is None or found.end() <= len(head):
        return head, 0, cut
    lead = suffix_within(text[:found.start()], int(allowance * LEAD_SHARE))
    start = found.start() - len(lead)
    line_start = text.rfind("\n", start, found.start())
    start = line_start + 1 if line_start >= 0 else start  # from a line's start when one is near
    if utf8_size(text[start:]) < allowance:  # a term near the end: the whole allowance ends there
        start = len(text) - len(suffix_within(text, allowance))
    window, _ = cut_text(text[start:], allowance, at_line=False)
    return window, start, True


def _shares(needs: Sequence[int], total: int) -> list[int]:
    """Split `total` bytes among wants `needs`: small ones whole, the rest equal parts."""
    allotted = [0] * len(needs)
    left, waiting = total, len(needs)
    for index in sorted(range(len(needs)), key=lambda i: needs[i]):
        share = left // waiting if waiting else 0
        allotted[index] = min(needs[index], max(share, 0))
        left -= allotted[index]
        waiting -= 1
    return allotted


def search_response(page: SearchPage, offset: int, budget: int,
                    is_stale: Callable[[ScoredChunk], bool],
                    token_for: Callable[[int], str], query: str = "") -> pb.SearchResponse:
    """The response for `page` (hits from `offset` on), within `budget` bytes; snippets show
    the terms of `query`."""
    response = pb.SearchResponse(effective_mode=_MODES[page.effective_mode],
                                 vector_coverage=page.vector_coverage or 0.0)
    for notice in page.notices:
        response.notices.append(cut_field(notice, 400)[0])
    # Room for the hits: the budget less the rest of the message, a page token (all tokens
    # of one search have about the same length) and the truncated flag.
    token_room = field_size(len(token_for(offset + len(page.hits) + 1)) + 8)
    room = budget - RESERVE_BYTES - response.ByteSize() - token_room - 2

    shown: list[tuple[pb.SearchHit, str]] = []  # (hit without snippet, the chunk's text)
    truncated = False
    skipped = 0  # hits too large for the budget on their own, passed over
    fixed = minimums = 0  # bytes of the shown hits without snippets; their least snippets
    for scored in page.hits:
        text = safe_text(scored.chunk.text)
        hit, cut = _hit(scored, is_stale(scored), FIELD_MAX_BYTES)
        minimum = min(utf8_size(text), MIN_SNIPPET_BYTES)
        if not shown and entry_size(hit) + _OVERHEAD + minimum > room:
            # Alone on its page and still too big: shorter description and purpose.
            hit, cut = _hit(scored, hit.stale, max(0, (room - minimum) // 4))
            cut = True
        cost = entry_size(hit) + _OVERHEAD
        if fixed + minimums + cost + minimum > room:
            if not shown and not skipped and cost > room:
                skipped = 1  # even without text it cannot be shown: skip it, say so
                response.notices.append(f"hit {offset + 1} ({cut_field(hit.path, 200)[0]}) "
                                        "is too large for the response budget; skipped")
                continue
            truncated = True
            break
        fixed += cost
        minimums += minimum
        truncated |= cut
        shown.append((hit, text))

    needs = [utf8_size(text) for _, text in shown]
    allotted = _shares(needs, room - fixed)
    terms = term_patterns(query)
    for (hit, text), allowance in zip(shown, allotted, strict=True):
        hit.snippet, hit.snippet_offset, hit.snippet_truncated = snippet(text, allowance, terms)
        truncated |= hit.snippet_truncated
    response.hits.extend(hit for hit, _ in shown)

    # Exact check: the estimates above are conservative, but nothing relies on that.
    limit = budget - token_room - 2
    while response.ByteSize() > limit and response.hits:
        over = response.ByteSize() - limit
        longest = max(response.hits, key=lambda h: len(h.snippet))
        if utf8_size(longest.snippet) > over + MIN_SNIPPET_BYTES // 2:
            longest.snippet, _ = cut_text(longest.snippet, utf8_size(longest.snippet) - over)
            longest.snippet_truncated = True
        else:
            del response.hits[-1]
        truncated = True

    consumed = skipped + len(response.hits)
    if page.has_more or consumed < len(page.hits):
        response.next_page_token = token_for(offset + consumed)
    response.truncated = truncated
    return response
