"""The docs index's postings and scoring: which files hold a query's words, and how well.

What it holds, and why in this shape (10,000 files must stay fast and small):

* A vocabulary `word -> id` that numbers new words itself, so a file's words become ids in C.
* Per file, its whole token sequence as packed uint32 ids (`bytes`, 4 bytes a word, stop words
  included). This is the "positions" store: a phrase is found with `bytes.find` of its packed
  ids, so "runtime\\nloop" matches "runtime loop", "state of the art" is matched exactly, and no
  Python object is kept per (word, file) position.
* Postings `word id -> {file id: term frequency}` for every word that is not a stop word; AND is
  a set intersection of the keys, OR a union, and BM25 ranks the matches.

The BM25 scorer here is the docs index's own (map() chains over packed postings), not
`services.storage.memory.bm25`'s: the two share the Okapi constants, not the code.
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from collections import Counter, defaultdict
from operator import add, ge, mul, neg, truediv

from services.domain import bm25
from services.mcp_bridge.docs_query import STOP_WORDS, Mode, ParsedQuery, tokenize

# Okapi BM25, with the same constants as the memory storage adapter's index.


class Postings:
    """Files as doc ids, their words, and the postings that find and rank them."""

    def __init__(self) -> None:
        # word -> id; looking up a new word gives it the next id (queries use .get(), which
        # does not). Ids are scrambled counts, see _scramble.
        self._vocab: defaultdict[str, int] = defaultdict(
            map(_scramble, itertools.count()).__next__)
        self._stop_ids = frozenset(self._vocab[word] for word in sorted(STOP_WORDS))
        self._postings: dict[int, dict[int, int]] = {}  # word id -> {doc id: term frequency}
        # Per doc id (a list, so hot loops index it from C); a free id has path "".
        self.paths: list[str] = []
        self._seqs: list[bytes] = []  # the file's word ids, packed uint32, stop words included
        self._lengths: list[int] = []
        self._norms: list[float] = []  # BM25 length normalisation, recomputed after changes
        self._free_ids: list[int] = []
        self.live_docs = 0
        self.total_tokens = 0

    @property
    def words(self) -> int:
        return len(self._postings)

    def posting_count(self) -> int:
        return sum(map(len, self._postings.values()))

    def add(self, rel: str, text: str) -> int:
        """Index `text` as the file `rel`; its new doc id."""
        # The vocabulary is a defaultdict that numbers new words itself, so this loop over
        # every word of the file runs in C.
        ids = array("I", map(self._vocab.__getitem__, tokenize(text)))
        doc = self._free_ids.pop() if self._free_ids else len(self.paths)
        if doc == len(self.paths):
            self.paths.append("")
            self._seqs.append(b"")
            self._lengths.append(0)
            self._norms.append(1.0)
        self.paths[doc] = rel
        self._seqs[doc] = ids.tobytes()
        self._lengths[doc] = len(ids)
        postings, stop_ids = self._postings, self._stop_ids
        for word_id, tf in Counter(ids).items():
            if word_id not in stop_ids:
                docs = postings.get(word_id)
                if docs is None:
                    postings[word_id] = {doc: tf}
                else:
                    docs[doc] = tf
        self.live_docs += 1
        self.total_tokens += len(ids)
        return doc

    def drop(self, doc: int) -> None:
        """Forget a doc id's words; the id is reused by a later `add`."""
        postings = self._postings
        for word_id in set(memoryview(self._seqs[doc]).cast("I")) - self._stop_ids:
            docs = postings[word_id]
            del docs[doc]
            if not docs:
                del postings[word_id]
        self.live_docs -= 1
        self.total_tokens -= self._lengths[doc]
        self.paths[doc], self._seqs[doc], self._lengths[doc] = "", b"", 0
        self._free_ids.append(doc)

    def update_norms(self) -> None:
        # bm25.length_norm for every doc id at once: k1 * (1 - b) + k1 * b / average * length,
        # added up at C speed.
        average = self.total_tokens / self.live_docs if self.live_docs else 1.0
        self._norms = list(map(add, itertools.repeat(bm25.K1 * (1 - bm25.B)),
                               map(mul, itertools.repeat(bm25.K1 * bm25.B / (average or 1.0)),
                                   self._lengths)))

    # --- matching and ranking ------------------------------------------------------------------

    def match(self, parsed: ParsedQuery) -> tuple[list[int], list[int]]:
        """(every matching doc id, the word ids that rank them)."""
        if parsed.mode is Mode.PHRASE:
            return self._phrase_matches(parsed.words)
        word_ids = [self._vocab.get(term) for term in parsed.terms]
        known = [w for w in word_ids if w is not None and w in self._postings]
        if not known or (parsed.mode is Mode.AND and len(known) < len(word_ids)):
            return [], []
        if parsed.mode is Mode.AND:
            return self._all_of(known), known
        return list(set().union(*(self._postings[w].keys() for w in known))), known

    def _all_of(self, word_ids: list[int]) -> list[int]:
        """The docs holding every word: set intersections, starting from the rarest word."""
        ordered = sorted(word_ids, key=lambda w: len(self._postings[w]))
        docs = self._postings[ordered[0]].keys()
        for word_id in ordered[1:]:
            docs = docs & self._postings[word_id].keys()
        return list(docs)

    def _phrase_matches(self, words: tuple[str, ...]) -> tuple[list[int], list[int]]:
        word_ids = [self._vocab.get(word) for word in words]
        scored = list(dict.fromkeys(w for w in word_ids if w not in self._stop_ids))
        if None in word_ids or any(w not in self._postings for w in scored):
            return [], []
        # Candidates hold every word of the phrase (every file, for a phrase of stop words).
        docs = self._all_of(scored) if scored else [d for d, path in enumerate(self.paths) if path]
        pattern = array("I", word_ids).tobytes()
        seqs = self._seqs
        # bytes.find over each candidate, mapped in C; a hit that straddles two packed words
        # (its byte offset is not a multiple of 4) is rare and checked again properly.
        offsets = map(bytes.find, map(seqs.__getitem__, docs), itertools.repeat(pattern))
        return [doc for doc, at in zip(docs, offsets, strict=True)
                if at >= 0 and (at % 4 == 0 or _find_aligned(seqs[doc], pattern) >= 0)
                ], scored

    def top(self, docs: list[int], word_ids: list[int], count: int) -> list[tuple[float, int]]:
        """The best `count` of `docs` as (score, doc id): by BM25, ties by path."""
        if not docs:
            return []
        scores = self._bm25(docs, word_ids) if word_ids else [0.0] * len(docs)
        if len(docs) > count:
            # Ordering thousands of (score, path) pairs costs milliseconds; only those scoring
            # at least the count-th best score can be on the page (ties at the cut included).
            cutoff = heapq.nlargest(count, scores)[-1]
            keep = list(map(ge, scores, itertools.repeat(cutoff)))
            docs = list(itertools.compress(docs, keep))
            scores = list(itertools.compress(scores, keep))
        paths = self.paths
        keyed = sorted(zip(map(neg, scores), map(paths.__getitem__, docs), docs, strict=True))
        return [(-negative, doc) for negative, _, doc in keyed[:count]]

    def _bm25(self, docs: list[int], word_ids: list[int]) -> list[float]:
        """BM25 of each doc for the words, built from map() chains: this runs over every match
        (thousands for common words), and C-level iteration keeps it at a few hundred µs."""
        total: list[float] | None = None
        repeat, norms = itertools.repeat, self._norms.__getitem__
        for word_id in word_ids:
            posting = self._postings[word_id]
            df = len(posting)
            idf = bm25.idf(self.live_docs, df)
            tfs = list(map(posting.get, docs, repeat(0)))
            # idf * tf * (k1 + 1) / (tf + norm)
            part = map(truediv, map(mul, tfs, repeat(idf * (bm25.K1 + 1))),
                       map(add, tfs, map(norms, docs)))
            total = list(part) if total is None else list(map(add, total, part))
        assert total is not None
        return total


def _scramble(count: int) -> int:
    """The `count`-th word id: a bijection of uint32 (odd multiplier), so ids stay unique.
    Plain counts are mostly zero bytes, and bytes.find, which finds phrases, slows down ~3x on
    such low-entropy text; scrambled ids look random to it."""
    return (count * 0x9E3779B1) & 0xFFFFFFFF


def _find_aligned(haystack: bytes, needle: bytes) -> int:
    """The word position of `needle` in `haystack` (both packed uint32), or -1. A byte-level
    hit that straddles two words is not a match; look further."""
    at = haystack.find(needle)
    while at >= 0 and at % 4:
        at = haystack.find(needle, at + 1)
    return at // 4 if at >= 0 else -1
