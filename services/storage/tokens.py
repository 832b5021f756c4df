"""The code-aware tokenizer both storage adapters index and query with.

`replaceFile` yields `replacefile replace file`; `get_chunks` yields `getchunks get chunks`;
`services/storage/port.py` yields `services storage port py`. The joined form of an identifier
rewards a hit on the whole name, and makes `getChunks` and `get_chunks` find each other.

Tokens are runs of letters and digits only. PostgreSQL's text-search parser (the `simple`
configuration over the space-joined document) therefore keeps each token as exactly one lexeme,
so both adapters see the same terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
        parts = _PART.findall(identifier)
        if len(parts) > 1:
            whole = "".join(parts).lower()
            if len(whole) <= MAX_TOKEN_CHARS:
                yield whole
        for part in parts:
            if len(part) <= MAX_TOKEN_CHARS:
                yield part.lower()


def search_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order of first appearance."""
    return list(dict.fromkeys(tokens(text)))


def lexical_document(chunk: Chunk) -> str:
    """The text a chunk is found by: its path, symbol, text, description and purpose."""
    fields = (chunk.path, chunk.symbol, chunk.text, chunk.description, chunk.purpose)
    return " ".join(token for field in fields for token in tokens(field))
