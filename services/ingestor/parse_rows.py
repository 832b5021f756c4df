"""A file's rows and the size limits: the grid every splitter of the Parse stage lays its
chunks on (`parse_code` along syntax trees, `parse_markup` along headings and paragraphs).

Rows are 0-based and end at '\n', as tree-sitter counts them; a `Span` covers whole rows.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # 0-based inclusive rows
    end: int
    kind: str
    symbol: str


# Rows that mean nothing alone: blank, closing brackets, Ruby's `end`. A chunk of them is
# joined to its neighbour (parse.py), so they count towards the chunk before them.
TRIVIAL = re.compile(r"\s*(?:[{}()\[\];,]*|end;?)\s*")


class Lines:
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

    def narrowed(self, max_lines: int) -> Lines:
        """The same rows under a lower line limit (a long function's pieces, parse_code)."""
        narrow = copy.copy(self)
        narrow.max_lines = max(1, min(self.max_lines, max_lines))
        return narrow

    def trivial_after(self, row: int) -> int:
        """How many trivial rows (TRIVIAL) follow `row`: the chunk ending there gets them."""
        count = 0
        while row + 1 + count < self.count and TRIVIAL.fullmatch(self.parts[row + 1 + count]):
            count += 1
        return count

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

