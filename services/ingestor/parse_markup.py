"""Documents for the Parse stage: Markdown and reStructuredText split at their headings,
other text at blank lines.

Headings are found by scanning lines, not with a grammar: the markdown grammar of
tree-sitter-language-pack 0.13 crashes the process on some inputs (found by the property
test), and a crash would take a whole worker pool down with it.
"""

from __future__ import annotations

import re

from services.ingestor import grammars as lang
from services.ingestor.parse_rows import Lines, Span

# property test), and a crash would take a whole worker pool down with it.

_Heading = tuple[int, int, str]  # (row, level, title)

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
# A list item, quote or indented code: a setext underline after it is a thematic break.
_NOT_PARAGRAPH = re.compile(r" {0,3}(?:[-*+>]|\d{1,9}[.)])(?:[ \t]|$)| {4}|\t")
_RST_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+")


def markdown_headings(lines: Lines) -> tuple[list[_Heading], list[int]]:
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


def rst_headings(lines: Lines) -> tuple[list[_Heading], list[int]]:
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


def _rst_title(lines: Lines, row: int) -> tuple[str, int] | None:
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


def heading_spans(lines: Lines, headings: list[_Heading], cuts: list[int]) -> list[Span]:
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
    spans: list[Span] = []
    for i, (row, symbol) in enumerate(sections):
        end = sections[i + 1][0] - 1 if i + 1 < len(sections) else lines.count - 1
        spans += [Span(s, e, lang.SECTION, symbol) for s, e in lines.pack(row, end, cuts)]
    return spans


def paragraph_starts(lines: Lines) -> list[int]:
    blank = [not part.strip() for part in lines.parts]
    return [row for row in range(1, lines.count) if blank[row - 1] and not blank[row]]

