"""What a docs query means and where its words stand in a text (pure: no I/O, no state).

* `tokenize` / `normalize`: the words of a text, the same for the files the index holds and
  the queries it answers.
* `parse_query`: the ADR's query modes (AND, OR, phrase) and the stop words AND / OR leave out.
* `Locator`: a query's first match in a file's original text, for a hit's line and snippet.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from services.mcp_bridge.docs_errors import DocsArgumentError

MAX_QUERY_CHARS = 1_000
SNIPPET_CHARS = 200
SNIPPET_LEAD_CHARS = 60  # context kept before the first match
_HEAD_CHARS = 8_192  # searched first for a snippet's match

# Lucene's classic English stop words: short, well known, none of them a useful search term.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
))


# --- tokens and queries ------------------------------------------------------------------------

# Chinese and Japanese put no spaces between words, so each ideograph or kana is a word of its
# own (a phrase query of several of them then finds the word). Everything else: runs of letters
# and digits; underscores and punctuation separate words ("get_chunks" is "get chunks").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"(?=[^\\W_])[{_CJK}]|[^\\W_{_CJK}]+")  # the lookahead skips CJK punctuation
_CJK_CHAR = re.compile(f"[{_CJK}]")
# The same split for pure ASCII text, about five times faster than the regex: this is most of
# the build time.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def normalize(text: str) -> str:
    """Lower-cased text; non-ASCII text is NFKC-normalised and case-folded first."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def tokenize(text: str) -> list[str]:
    """Every word of `text`, normalised, in order (stop words included: phrases need them)."""
    if text.isascii():
        return text.lower().translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(normalize(text))


class Mode(StrEnum):
    AND = "and"
    OR = "or"
    PHRASE = "phrase"


@dataclass(frozen=True)
class ParsedQuery:
    mode: Mode
    words: tuple[str, ...]  # every word in order, stop words included (what a phrase matches)
    terms: tuple[str, ...]  # the distinct words AND / OR search for: no stop words
    ignored: tuple[str, ...]  # the distinct stop words left out of AND / OR


# The ADR's OR mode: the upper-case word OR between two terms ("runtime OR loop").
_OR_BETWEEN_TERMS = re.compile(r"\S\s+OR\s+\S")


def parse_query(query: str, mode: str | None = None) -> ParsedQuery:
    """The ADR's query modes. Without `mode`: a query wrapped in double quotes is a phrase, one
    with OR between terms is OR, anything else is AND. No nesting: a quoted part of a larger
    query is just words."""
    if not isinstance(query, str):
        raise DocsArgumentError("query must be a string")
    text = query.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise DocsArgumentError(f"query is longer than {MAX_QUERY_CHARS} characters")
    quoted = len(text) >= 2 and text[0] == text[-1] == '"'
    if mode is None:
        chosen = Mode.PHRASE if quoted else Mode.OR if _OR_BETWEEN_TERMS.search(text) else Mode.AND
    else:
        try:
            chosen = Mode(str(mode).lower())
        except ValueError:
            raise DocsArgumentError(f"mode {mode!r} is not one of and, or, phrase") from None
    if chosen is Mode.PHRASE and quoted:
        text = text[1:-1]
    words = tuple(tokenize(text))
    if not words:
        raise DocsArgumentError("the query has no words to search for")
    distinct = dict.fromkeys(words)
    operator_word = "or" if chosen is Mode.OR else None
    return ParsedQuery(
        mode=chosen,
        words=words,
        terms=tuple(w for w in distinct if w not in STOP_WORDS),
        ignored=() if chosen is Mode.PHRASE else tuple(
            w for w in distinct if w in STOP_WORDS and w != operator_word),
    )


# --- matching in text --------------------------------------------------------------------------

class Locator:
    """Finds a query's first match in a file's original text, for the hit's line and snippet.

    The text is lower-cased, which keeps every offset (for all ASCII and nearly all other
    text), and searched with str.find plus a word-boundary check: a case-insensitive regex with
    look-arounds costs 0.1-1 ms a file, which would be most of a query's time. When that finds
    nothing in non-ASCII text, the regex tries; if normalisation hides the match even from it
    (a ligature, say), the normalised text is searched and shown instead.
    """

    def __init__(self, parsed: ParsedQuery) -> None:
        self._phrase = parsed.mode is Mode.PHRASE
        words = parsed.words if self._phrase else parsed.terms or parsed.words
        # Ideographs are words of one character, with no boundary around them.
        self._words = [(word, not _CJK_CHAR.fullmatch(word)) for word in words]
        self._regex = _match_regex(parsed)

    def snippet(self, text: str) -> tuple[int, str]:
        """(line, snippet) of the first match; line 1 and the file's start if none is found."""
        start = -1
        # The first match is usually near the top: lowering a long file's head first saves
        # lowering all of it for each hit.
        if len(text) > 2 * _HEAD_CHARS and len(head := text[:_HEAD_CHARS].lower()) == _HEAD_CHARS:
            start = self._first_in(head, cut=True)
        if start < 0 and len(lowered := text.lower()) == len(text):
            start = self._first_in(lowered)
        if start < 0 and not text.isascii():
            found = self._regex.search(text)
            if found is None:
                text = normalize(text)
                found = self._regex.search(text)
            start = found.start() if found else -1
        start = max(start, 0)
        line = text.count("\n", 0, start) + 1
        lo = max(0, start - SNIPPET_LEAD_CHARS)
        hi = min(len(text), lo + SNIPPET_CHARS)
        # Slicing a str never splits a code point, so the snippet is valid UTF-8 (undecodable
        # bytes became U+FFFD when the file was read). Whitespace, line breaks too, collapses.
        body = " ".join(text[lo:hi].split())
        return line, f"{'…' if lo else ''}{body}{'…' if hi < len(text) else ''}"

    def _first_in(self, lowered: str, cut: bool = False) -> int:
        """The offset of the first match in `lowered`, or -1. In a `cut` text, a match must
        end before the cut: what follows it decides whether it is a whole word."""
        if not self._phrase:
            found = [at for word, bounded in self._words
                     if (at := _find_word(lowered, word, bounded, cut)) >= 0]
            return min(found, default=-1)
        word, bounded = self._words[0]
        at = _find_word(lowered, word, bounded, cut)
        while at >= 0:
            found = self._regex.match(lowered, at)
            if found and not (cut and found.end() == len(lowered)):
                return at
            at = _find_word(lowered, word, bounded, cut, at + 1)
        return -1


def _find_word(lowered: str, word: str, bounded: bool, cut: bool, start: int = 0) -> int:
    """The first occurrence of `word` in `lowered` from `start` (a whole word if `bounded`)."""
    size, length = len(lowered), len(word)
    last_end = size - 1 if cut else size
    at = lowered.find(word, start)
    while at >= 0 and (at + length > last_end or (bounded and (
            (at and lowered[at - 1].isalnum())
            or (at + length < size and lowered[at + length].isalnum())))):
        at = lowered.find(word, at + 1)
    return at


def _match_regex(parsed: ParsedQuery) -> re.Pattern[str]:
    if parsed.mode is Mode.PHRASE:
        pieces = [_word_regex(parsed.words[0])]
        for before, word in itertools.pairwise(parsed.words):
            # Words are separated by anything that is not a letter or digit, line breaks too;
            # ideographs need no separator at all.
            cjk = _CJK_CHAR.fullmatch(before) or _CJK_CHAR.fullmatch(word)
            pieces.append(r"[\W_]*" if cjk else r"[\W_]+")
            pieces.append(_word_regex(word))
        body = "".join(pieces)
    else:
        body = "|".join(_word_regex(term) for term in parsed.terms or parsed.words)
    return re.compile(body, re.IGNORECASE)


def _word_regex(word: str) -> str:
    if _CJK_CHAR.fullmatch(word):
        return re.escape(word)
    return rf"(?<![^\W_]){re.escape(word)}(?![^\W_])"
