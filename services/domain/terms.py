"""The code-aware tokenizer both storage adapters index and query with.

`replaceFile` yields `replacefile replace file`; `get_chunks` yields `getchunks get chunks`;
`services/storage/port.py` yields `services storage port py`. The joined form of an identifier
rewards a hit on the whole name, and makes `getChunks` and `get_chunks` find each other.

Tokens are runs of letters and digits only. PostgreSQL's text-search parser (the `simple`
configuration over the space-joined document) therefore keeps each token as exactly one lexeme,
so both adapters see the same terms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from services.domain.models import Chunk

# An identifier: letters, digits and underscores. Everything else (/, ., -, spaces,
# punctuation) separates identifiers.
_IDENTIFIER = re.compile(r"\w+")

# The parts of an identifier: an acronym (HTTP in HTTPServer), a capitalised or lower-case word
# (any non-ASCII letter counts as lower case), or a run of digits. Underscores match nothing,
# so they split too.
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[^\W\dA-Z_]+|\d+")

# PostgreSQL ignores lexemes over 2047 bytes; a shorter cap keeps both adapters identical and
# stops minified blobs from bloating the index.
MAX_TOKEN_CHARS = 100


def tokens(text: str) -> Iterator[str]:
    """Every token of `text` in order, repeats included (term frequency matters to ranking)."""
    for identifier in _IDENTIFIER.findall(text):
        yield from _identifier_tokens(identifier)


@functools.lru_cache(maxsize=1 << 16)
def _identifier_tokens(identifier: str) -> tuple[str, ...]:
    """The tokens of one identifier. Cached: code repeats its identifiers endlessly, and this
    is the hot loop of indexing (a plain lower-case word skips the regex altogether)."""
    if identifier.isalpha() and identifier.islower():
        return (identifier,) if len(identifier) <= MAX_TOKEN_CHARS else ()
    parts = _PART.findall(identifier)
    found = []
    if len(parts) > 1:
        whole = "".join(parts).lower()
        if len(whole) <= MAX_TOKEN_CHARS:
            found.append(whole)
    found.extend(part.lower() for part in parts if len(part) <= MAX_TOKEN_CHARS)
    return tuple(found)


def search_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order of first appearance."""
    return list(dict.fromkeys(tokens(text)))


def code_terms(path: str, symbol: str, text: str) -> str:
    """The space-joined tokens of a chunk's path, symbol and text (what `Chunk.terms` holds)."""
    return _joined_tokens((path, symbol, text))


def lexical_document(chunk: Chunk) -> str:
    """The text a chunk is found by: its path, symbol, text, description and purpose."""
    code = chunk.terms or code_terms(chunk.path, chunk.symbol, chunk.text)
    enriched = _joined_tokens((chunk.description, chunk.purpose))
    return f"{code} {enriched}" if code and enriched else code or enriched


def _joined_tokens(fields: Iterable[str]) -> str:
    found: list[str] = []
    for field in fields:
        for identifier in _IDENTIFIER.findall(field):  # tokens(), unrolled: the hot loop
            found += _identifier_tokens(identifier)
    return " ".join(found)
