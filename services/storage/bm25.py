"""An in-process BM25 inverted index, updated one document at a time (memory adapter)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable


class Bm25Index:
    """Okapi BM25 with Lucene's non-negative idf: ln(1 + (N - df + 0.5) / (df + 0.5))."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self._k1 = k1
        self._b = b
        self._postings: dict[str, dict[str, int]] = {}  # term -> document -> term frequency
        self._lengths: dict[str, int] = {}  # document -> number of tokens
        self._terms: dict[str, tuple[str, ...]] = {}  # document -> its distinct terms
        self._total_length = 0

    def add(self, doc_id: str, tokens: Iterable[str]) -> None:
        self.remove(doc_id)
        counts = Counter(tokens)
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf
        length = sum(counts.values())
        self._terms[doc_id] = tuple(counts)
        self._lengths[doc_id] = length
        self._total_length += length

    def remove(self, doc_id: str) -> None:
        length = self._lengths.pop(doc_id, None)
        if length is None:
            return
        self._total_length -= length
        for term in self._terms.pop(doc_id):
            docs = self._postings[term]
            del docs[doc_id]
            if not docs:
                del self._postings[term]

    def scores(self, terms: Iterable[str]) -> dict[str, float]:
        """The BM25 score of every document that holds at least one of `terms`."""
        n = len(self._lengths)
        if n == 0:
            return {}
        average = self._total_length / n or 1.0
        result: dict[str, float] = {}
        for term in set(terms):
            docs = self._postings.get(term)
            if not docs:
                continue
            idf = math.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc_id, tf in docs.items():
                norm = self._k1 * (1.0 - self._b + self._b * self._lengths[doc_id] / average)
                result[doc_id] = result.get(doc_id, 0.0) + idf * tf * (self._k1 + 1.0) / (tf + norm)
        return result
