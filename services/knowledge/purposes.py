"""What a file says it is for, when no LLM wrote it down: its docstring, its leading comment,
or (for a README and other documents) its first paragraph of prose.

Only the first paragraph is kept, whitespace collapsed, cut at a sentence end near
PURPOSE_MAX_CHARS. License headers and generated-file banners are passed over, and so are
shebangs, encoding cookies and other lines meant for tools.
"""

from __future__ import annotations

import re

PURPOSE_MAX_CHARS = 300

_PY_DOCSTRING = re.compile(
    r'\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*[rRuU]?("""|\'\'\'|"|\')(.*?)\1', re.DOTALL)
_BLOCK_COMMENT = re.compile(r"\A\s*/\*+(.*?)\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"^\s*(//+!?|#+!?|--|;+)\s?(.*)$")
_NOT_PURPOSE = re.compile(r"copyright|licen[cs]e|spdx|generated|do not edit|-\*-|^!|vim:|"
                          r"all rights reserved|warranty|permission is hereby granted|"
                          r"^(?:eslint|jshint|prettier|istanbul|@ts-)",
                          re.IGNORECASE)
# Lines at the top of a file that talk to a tool, not to the reader: a shebang, an encoding
# cookie, editor modelines, linter and type-checker switches, a license tag or copyright line.
# Each is dropped on its own, so a description right below one is still found.
_PRAGMA_LINE = re.compile(
    r"^\s*(?:#!|(?:#+|//+|--|;+)\s*(?:.*\bcoding[:=]|.*-\*-|(?:vim?|ex):|"
    r"spdx-license-identifier|frozen_string_literal:|@ts-|(?:eslint|jshint|prettier)-|"
    r"(?:pylint|mypy|flake8|ruff|type|fmt)\s*:|noqa(?::|\s*$)|copyright\b|\(c\)\s|©))",
    re.IGNORECASE)
_DOC_SKIP = re.compile(r"^\s*(#|=+\s*$|-+\s*$|\*+\s*$|`{3}|~{3}|<|!\[|\[!|\[[^\]]*\]:|\||\.\. |"
                       r":[a-z]+:|[=\-~^\"'`#*+]{3,}\s*$)")
_UNDERLINE = re.compile(r"^[=\-~^\"'`#*+]{3,}\s*$")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_DOCUMENTS = ("markdown", "rst", "text")


def purpose_from_text(language: str, text: str) -> str:
    """The first paragraph a file's beginning states about itself, or ""."""
    if language in _DOCUMENTS:
        return shorten(_first_prose(text))
    if language == "python":
        match = _PY_DOCSTRING.match(text)
        if match:
            return shorten(_first_paragraph(match[2]))
    return shorten(_leading_comment(text))


def _first_paragraph(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def _first_prose(text: str) -> str:
    """The first paragraph of a document that is prose, not a heading, badge or code."""
    paragraph: list[str] = []
    fenced = False
    lines = text.split("\n")
    for number, line in enumerate(lines):
        underlined = number + 1 < len(lines) and _UNDERLINE.match(lines[number + 1])
        if underlined and line.strip():  # a reStructuredText or setext heading
            if paragraph:
                break
            continue
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            if paragraph:
                break
            continue
        if fenced:
            continue
        if not line.strip() or _DOC_SKIP.match(line):
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(" ".join(paragraph).split())


def _leading_comment(text: str) -> str:
    """The first comment block at the top of a code file that is not a license or banner."""
    text = _without_leading_pragmas(text)
    block = _BLOCK_COMMENT.match(text)
    if block:
        lines = [re.sub(r"^\s*\*+ ?", "", line) for line in block[1].split("\n")]
        found = _first_paragraph("\n".join(lines))
        if found and not _NOT_PURPOSE.search(found):
            return found
        text = text[block.end():]
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if not line.strip() or _PRAGMA_LINE.match(line):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        match = _LINE_COMMENT.match(line)
        if match is None:
            break
        body = match[2].strip()
        if body:
            paragraphs[-1].append(body)
        elif paragraphs[-1]:
            paragraphs.append([])
    for paragraph in paragraphs:
        found = " ".join(" ".join(paragraph).split())
        if found and not _NOT_PURPOSE.search(found):
            return found
    return ""


def _without_leading_pragmas(text: str) -> str:
    """`text` from its first line that is neither blank nor a pragma (see _PRAGMA_LINE)."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (not lines[start].strip() or _PRAGMA_LINE.match(lines[start])):
        start += 1
    return "\n".join(lines[start:])


def shorten(text: str) -> str:
    """`text` on one line, cut at a sentence end near PURPOSE_MAX_CHARS."""
    text = " ".join(text.split())
    if len(text) <= PURPOSE_MAX_CHARS:
        return text
    head = text[:PURPOSE_MAX_CHARS]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= PURPOSE_MAX_CHARS // 3:
        return head[:ends[-1]]
    return head.rsplit(" ", 1)[0] + "…"
