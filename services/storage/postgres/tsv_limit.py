"""The last guard before PostgreSQL builds a chunk's tsvector, which may hold at most 1 MB.

Chunks are cut small at parse time (services/ingestor/parse.py), so this never fires for
parsed chunks; it stands behind that, so that one oversized chunk (an enrichment gone wild, a
future parser bug) is stored with the searchable text that fits and a warning, instead of
failing its file's transaction and with it the whole ingest job.

PostgreSQL's to_tsvector counts, for each distinct lexeme, its bytes plus (2-byte aligned) a
2-byte position count and 2 bytes per position, at most 256 positions, and refuses the
document when the sum exceeds MAXSTRPOS ("string is too long for tsvector"). The lexical
document is space-joined tokens and the 'simple' configuration keeps each token as one lexeme
(services/storage/tokens.py), so that sum can be computed here, exactly enough to keep any
document that fits whole.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

MAXSTRPOS = (1 << 20) - 1  # PostgreSQL's tsearch limit on a tsvector's lexemes and positions
MAXNUMPOS = 256  # positions kept per lexeme
# What is kept: a margin below the limit for any lexeme PostgreSQL's parser counts otherwise.
TSV_MAX_BYTES = MAXSTRPOS * 9 // 10


def tsvector_bytes(document: str) -> int:
    """An upper bound of the bytes PostgreSQL's tsvector of `document` holds (see module doc)."""
    return _fitting_prefix(document, None)[1]


def fit_tsvector(document: str, chunk_id: str = "") -> str:
    """`document` unchanged when its tsvector fits TSV_MAX_BYTES; otherwise its longest prefix
    of whole tokens that fits, with a warning naming the chunk."""
    if len(document) * 5 <= TSV_MAX_BYTES:  # cheap: the bound is under 5 bytes a character
        return document
    end, _ = _fitting_prefix(document, TSV_MAX_BYTES)
    if end < len(document):
        log.warning("chunk %s: search terms cut from %d to %d characters to fit PostgreSQL's "
                    "tsvector limit", chunk_id or "?", len(document), end)
    return document[:end]


def _fitting_prefix(document: str, limit: int | None) -> tuple[int, int]:
    """(characters of the longest whole-token prefix within `limit`, its tsvector bytes)."""
    positions: dict[str, int] = {}
    total = 0
    offset = 0
    for token in document.split(" "):
        if token:
            count = positions.get(token, 0)
            if count == 0:
                # The lexeme, the alignment byte before its positions, the position count.
                added = len(token.encode("utf-8", "surrogatepass")) + 1 + 2 + 2
            else:
                added = 2 if count < MAXNUMPOS else 0
            if limit is not None and total + added > limit:
                return max(offset - 1, 0), total
            positions[token] = count + 1
            total += added
        offset += len(token) + 1
    return len(document), total
