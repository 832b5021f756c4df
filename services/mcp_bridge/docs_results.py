"""What the docs index answers, and the budget it answers within: the result and report
types, the paging rules, and the helpers that measure results as JSON so a tool result stays
under its 50,000-character cap."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from services.mcp_bridge.docs_errors import DocsArgumentError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100  # a larger page size is lowered to this (AIP-158)
# Tool results stay under 50,000 characters; hits and read pages get this much of it, measured
# as JSON, which leaves room for the envelope and pretty-printing.
RESULT_BUDGET_CHARS = 40_000


# --- results -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DocHit:
    path: str  # workspace-relative, '/'-separated
    score: float  # BM25; only the order means anything
    line: int  # 1-based line of the first match (1 if it could not be located)
    snippet: str  # up to ~200 characters around that match, whitespace collapsed

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "score": self.score, "line": self.line,
                "snippet": self.snippet}


@dataclass(frozen=True)
class DocsResult:
    query: str
    mode: str
    terms: tuple[str, ...]  # what was searched for (the phrase's words, for a phrase)
    ignored: tuple[str, ...]  # stop words left out
    total: int  # matching files, over all pages
    offset: int
    hits: tuple[DocHit, ...]
    truncated: bool  # more hits exist: ask again with offset=next_offset
    next_offset: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "mode": self.mode, "terms": list(self.terms),
                "ignored": list(self.ignored), "total": self.total, "offset": self.offset,
                "hits": [hit.to_dict() for hit in self.hits], "truncated": self.truncated,
                "next_offset": self.next_offset}


class DocText(NamedTuple):
    text: str
    truncated: bool  # the file goes on: read again from next_start_line
    next_start_line: int | None


@dataclass(frozen=True)
class RefreshReport:
    seconds: float
    files_checked: int
    added: int
    changed: int
    removed: int
    built: bool = False  # this call was the first, full build


@dataclass(frozen=True)
class IndexStats:
    files: int  # indexed files
    skipped: dict[str, int]  # matched files not indexed, by reason
    folders: int
    words: int  # distinct indexed words (stop words excluded)
    postings: int  # (word, file) pairs
    tokens: int  # words in all files, stop words included
    cached_files: int
    cached_chars: int


# --- paging and the result budget --------------------------------------------------------------

def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    """A valid (limit, offset): a negative value is an error, a large limit is lowered."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise DocsArgumentError(f"limit must be a positive whole number, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise DocsArgumentError(f"offset must be zero or more, not {offset!r}")
    return min(limit, MAX_LIMIT), offset


def json_chars(value: Any) -> int:
    """Characters `value` takes as JSON, written as the MCP SDK writes it (UTF-8, unescaped)."""
    return len(json.dumps(value, ensure_ascii=False))


def fitting_count(items: Iterable[dict[str, Any]], budget: int) -> int:
    """How many leading `items` fit, as JSON, in `budget` characters."""
    used = count = 0
    for item in items:
        used += json_chars(item) + 2  # the ", " between items
        if used > budget:
            break
        count += 1
    return count


def fitting_hits(hits: Sequence[DocHit]) -> int:
    """How many hits fit the result budget. JSON escaping at most sextuples a character, so
    the usual page (20 hits of ~200-character snippets) fits without encoding anything."""
    if sum(6 * (len(hit.path) + len(hit.snippet)) + 100 for hit in hits) <= RESULT_BUDGET_CHARS:
        return len(hits)
    return fitting_count((hit.to_dict() for hit in hits), RESULT_BUDGET_CHARS)
