"""Okapi BM25, the product's one lexical relevance rule: the memory index
(services/storage/memory/bm25.py), PostgreSQL's postings (services/storage/postgres/lexical.py) and
the MCP docs index (services/mcp_bridge/docs_postings.py) all score with these constants and
this idf, so a word counts the same wherever it is searched.

A term's contribution to a document is idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length /
average length)); each index evaluates it in its own way (numpy vectors, SQL, plain Python).
"""

from __future__ import annotations

import math

K1 = 1.2  # how fast repeated occurrences of a term stop adding
B = 0.75  # how much a long document is discounted


def idf(documents: int, df: int) -> float:
    """Lucene's non-negative idf: ln(1 + (N - df + 0.5) / (df + 0.5))."""
    return math.log(1.0 + (documents - df + 0.5) / (df + 0.5))


def length_norm(length: float, average: float) -> float:
    """K1 * (1 - B + B * length / average): the term frequency a document needs for half
    of a term's largest contribution."""
    return K1 * (1.0 - B + B * length / (average or 1.0))
