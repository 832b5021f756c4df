"""An in-process BM25 inverted index, updated one document at a time (memory adapter).

Documents live in numbered slots, terms in numbered ids. The index is compact, because the
memory storage keeps it for every chunk of a workspace: a term's postings are one array of
8-byte integers (slot << 32 | term frequency) in slot order (a term in one document only, most
terms of minified code and data, is one int): ~12 bytes a posting in all, where dicts of
postings and a tuple of term strings per document took ~104 (the 28.5 MB of minified code and
one-line JSON of bench/pathological.py: ~106 MiB of index, now ~17). A new document always
takes the next slot, so its postings are appended; a removed one only frees its slot, and its
postings are dropped, and slots renumbered in order, by a compaction once removed documents
outnumber the others. The postings are mirrored lazily, per term, as numpy arrays of live slots
and of that term's BM25 contribution to each, so a query adds up tens of thousands of postings
with a few vector operations instead of a Python loop, and picks the best few with a partial
sort. Any change invalidates the mirrors (BM25 depends on the document count and average
length); each is rebuilt by the next query that needs it. Not thread-safe: the memory adapter
holds its lock.

Common terms ("return", "self", "value": in more than COMMON_SHARE of the documents) hold
most of a query's postings but add little to any score. `top` first ranks only the documents
that hold a rarer term of the query, looking the common terms' contributions up in a dense
per-term vector; when the last of the best few already scores more than any document could
from the common terms alone, no other document can take its place and that ranking is the
answer (the "max score" bound of Turtle and Flood, 1995). Otherwise it ranks every matching
document. Either way the answer is exact, and scores are added in the same order on both
paths, so they agree to the last bit.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from services.domain import bm25
from services.storage.memory.ranking import best_scored

# A term in more than this share of the documents is common. Its postings (dict and arrays)
# then take nearly as much memory as a dense vector of its contributions (one float32 per
# slot), so the vector at most about doubles what the term costs.
COMMON_SHARE = 1 / 16
TF_MASK = 0xFFFFFFFF  # the term frequency's bits in a packed posting


@dataclass
class _Term:
    """One term's postings as arrays, valid for one version of the index."""

    version: int
    slots: np.ndarray
    contributions: np.ndarray  # float32, aligned with slots
    bound: np.float32  # the largest contribution: no document gains more from this term
    dense: np.ndarray | None = None  # contribution by slot (0 elsewhere), built on demand


class Bm25Index:
    """Okapi BM25 with Lucene's non-negative idf: ln(1 + (N - df + 0.5) / (df + 0.5))."""

    def __init__(self, k1: float = bm25.K1, b: float = bm25.B) -> None:
        self._k1 = k1
        self._b = b
        self._slot_of: dict[str, int] = {}  # document -> slot
        self._ids: list[str | None] = []  # slot -> document (None: removed)
        self._lengths = array("I")  # slot -> number of tokens (0: removed)
        self._removed = 0  # slots of removed documents, until the next compaction
        self._term_id: dict[str, int] = {}
        self._term_names: list[str | None] = []  # term id -> term (None: free)
        # term id -> its postings, packed (see _pack): one int for a term in one document,
        # else an array('Q') in slot order; None for a free id. Postings of removed documents
        # stay until the next compaction; queries skip them.
        self._postings: list[array | int | None] = []
        self._free_terms: list[int] = []
        self._total_length = 0
        # Mirrors, rebuilt on use after a change, and the scratch arrays one query adds up
        # in (left zeroed after each query).
        self._version = 0
        self._arrays: dict[int, _Term] = {}  # term id -> its postings as numpy arrays
        self._norms: tuple[int, np.ndarray, np.ndarray] | None = None  # version, norms, live
        self._scratch = np.zeros(0, dtype=np.float32)
        self._touched = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._slot_of)

    @property
    def slots(self) -> int:
        """Slots in use: the documents, and the removed ones not yet compacted away."""
        return len(self._ids)

    def add(self, doc_id: str, tokens: Iterable[str]) -> None:
        self.remove(doc_id)
        counts = Counter(tokens)
        # Always a new slot, the last: each posting is appended, and stays in slot order.
        slot = len(self._ids)
        self._ids.append(doc_id)
        self._slot_of[doc_id] = slot
        for term, tf in counts.items():
            self._add_posting(term, slot, tf)
        length = sum(counts.values())
        self._lengths.append(length)
        self._total_length += length
        self._version += 1

    def remove(self, doc_id: str) -> None:
        """O(1): the document's postings are dropped by the next compaction, which comes
        once removed documents outnumber the others (so it costs O(1) a removal overall)."""
        slot = self._slot_of.pop(doc_id, None)
        if slot is None:
            return
        self._total_length -= self._lengths[slot]
        self._lengths[slot] = 0
        self._ids[slot] = None
        self._removed += 1
        self._version += 1
        if self._removed > len(self._slot_of):
            self._compact()

    def _add_posting(self, term: str, slot: int, tf: int) -> None:
        posting = _pack(slot, tf)
        term_id = self._term_id.get(term)
        if term_id is None:
            term_id = self._free_terms.pop() if self._free_terms else len(self._postings)
            if term_id == len(self._postings):
                self._postings.append(None)
                self._term_names.append(None)
            self._term_id[term] = term_id
            self._term_names[term_id] = term
            self._postings[term_id] = posting
            return
        docs = self._postings[term_id]
        if isinstance(docs, int):
            self._postings[term_id] = array("Q", (docs, posting))
        else:
            docs.append(posting)

    def _compact(self) -> None:
        """Drops removed documents: their postings, the terms only they held, their slots
        (the others are renumbered in order, so postings stay in slot order). All postings
        are filtered at once, then cut back into terms: a term at a time took seconds."""
        live = np.array([doc_id is not None for doc_id in self._ids], dtype=bool)
        renumber = (np.cumsum(live) - 1).astype(np.uint64)
        new_slot = renumber.tolist()
        listed = []  # ids of the terms whose postings are an array
        for term_id, docs in enumerate(self._postings):
            if isinstance(docs, int):  # most terms: quicker in plain Python
                slot = docs >> 32
                if self._ids[slot] is None:
                    self._free_term(term_id)
                else:
                    self._postings[term_id] = new_slot[slot] << 32 | docs & TF_MASK
            elif docs is not None:
                listed.append(term_id)
        sizes = np.fromiter((len(self._postings[t]) for t in listed), np.intp, len(listed))
        packed = np.frombuffer(b"".join(self._postings[t] for t in listed), dtype=np.uint64)
        slots = packed >> np.uint64(32)
        kept = live[slots]
        packed = renumber[slots[kept]] << np.uint64(32) | packed[kept] & np.uint64(TF_MASK)
        sizes = np.add.reduceat(kept, np.cumsum(sizes) - sizes, dtype=np.intp) if listed else sizes
        start = 0
        for term_id, size in zip(listed, sizes.tolist(), strict=True):
            if size == 0:
                self._free_term(term_id)
            elif size == 1:
                self._postings[term_id] = int(packed[start])
            else:
                self._postings[term_id] = array("Q", packed[start:start + size].tobytes())
            start += size
        self._ids = [doc_id for doc_id in self._ids if doc_id is not None]
        self._lengths = array("I", (n for n, alive in zip(self._lengths, live, strict=True)
                                    if alive))
        self._slot_of = {doc_id: slot for slot, doc_id in enumerate(self._ids)}
        self._removed = 0
        self._arrays.clear()
        self._version += 1

    def _free_term(self, term_id: int) -> None:
        """The term's documents are all gone, and the term with them."""
        del self._term_id[self._term_names[term_id]]
        self._postings[term_id] = self._term_names[term_id] = None
        self._free_terms.append(term_id)

    def scores(self, terms: Iterable[str]) -> dict[str, float]:
        """The BM25 score of every document that holds at least one of `terms`."""
        slots, scores = self._add_up(self._query_terms(terms), ())
        return {self._ids[slot]: float(score) for slot, score in zip(slots, scores, strict=True)}

    def top(self, terms: Iterable[str], limit: int, *,
            accept: Callable[[str], bool] | None = None,
            tie_key: Callable[[str], Hashable] = lambda doc_id: doc_id,
            ) -> list[tuple[str, float]]:
        """The best `limit` accepted documents, best first; equal scores in `tie_key` order.

        Common terms first rank only the documents that hold a rarer one (see the module
        doc); only the head of a ranking is sorted.
        """
        if limit <= 0:
            return []
        query = self._query_terms(terms)
        common_df = COMMON_SHARE * len(self._slot_of)
        rare = [t for t in query if len(t.slots) <= common_df]
        common = [t for t in query if len(t.slots) > common_df]
        if rare and common:
            found = self._best(*self._add_up(rare, [self._dense(t) for t in common]), limit,
                               accept, tie_key)
            if len(found) == limit and found[-1][1] > _bound(common):
                return found
        return self._best(*self._add_up(query, ()), limit, accept, tie_key)

    def _query_terms(self, terms: Iterable[str]) -> list[_Term]:
        """The arrays of the query's indexed terms, rarest first: the order scores add up
        in, the same whichever documents are scored."""
        found = [found for term in dict.fromkeys(terms)
                 if (term_id := self._term_id.get(term)) is not None
                 and len((found := self._term(term_id)).slots)]
        return sorted(found, key=lambda t: len(t.slots))

    def _term(self, term_id: int) -> _Term:
        """The live slots holding the term and its BM25 contribution to each, as of now."""
        cached = self._arrays.get(term_id)
        if cached is not None and cached.version == self._version:
            return cached
        n = len(self._slot_of)
        if self._norms is None or self._norms[0] != self._version:
            # np.array copies: a view would pin the array('I'), which could not grow then.
            lengths = np.array(self._lengths, dtype=np.float64)
            average = self._total_length / n or 1.0
            self._norms = (self._version,
                           self._k1 * (1.0 - self._b + self._b * lengths / average),
                           lengths > 0)  # a removed document's postings wait for compaction
        _, norms, live = self._norms
        docs = self._postings[term_id]
        packed = np.array([docs] if isinstance(docs, int) else docs, dtype=np.uint64)
        slots = (packed >> np.uint64(32)).astype(np.intp)
        kept = live[slots]  # a live document of no tokens has no postings: not missed
        slots, packed = slots[kept], packed[kept]
        tf = (packed & np.uint64(TF_MASK)).astype(np.float64)
        idf = bm25.idf(n, len(slots))
        # Single precision halves the memory each query streams through; ranks need no more.
        contributions = (idf * tf * (self._k1 + 1.0) / (tf + norms[slots])).astype(np.float32)
        bound = contributions.max() if len(slots) else np.float32(0.0)
        self._arrays[term_id] = _Term(self._version, slots, contributions, bound)
        return self._arrays[term_id]

    def _dense(self, term: _Term) -> np.ndarray:
        if term.dense is None:
            term.dense = np.zeros(len(self._ids), dtype=np.float32)
            term.dense[term.slots] = term.contributions
        return term.dense

    def _add_up(self, sparse: list[_Term],
                dense: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(slots of the documents holding any `sparse` term, their BM25 scores over those
        terms and then the `dense` ones)."""
        if len(sparse) == 1:  # its postings are the answer: no need to add up and scan
            slots, scores = sparse[0].slots, sparse[0].contributions.copy()
        else:
            slots, scores = self._scatter(sparse)
        for contributions in dense:
            scores += contributions[slots]
        return slots, scores

    def _scatter(self, sparse: list[_Term]) -> tuple[np.ndarray, np.ndarray]:
        """Adds the terms' postings up in the scratch arrays, and clears them after."""
        if len(self._scratch) < len(self._ids):
            self._scratch = np.zeros(len(self._ids), dtype=np.float32)
            self._touched = np.zeros(len(self._ids), dtype=bool)
        scratch, touched = self._scratch, self._touched
        for term in sparse:
            scratch[term.slots] += term.contributions  # slots are distinct within one term
            touched[term.slots] = True
        slots = np.flatnonzero(touched)
        scores = scratch[slots]
        if len(slots) > len(scratch) // 8:  # clearing it all is cheaper than slot by slot
            scratch.fill(0.0)
            touched.fill(False)
        else:
            scratch[slots] = 0.0
            touched[slots] = False
        return slots, scores

    def _best(self, slots: np.ndarray, scores: np.ndarray, limit: int,
              accept: Callable[[str], bool] | None,
              tie_key: Callable[[str], Hashable]) -> list[tuple[str, float]]:
        """The best `limit` accepted of the scored documents, best first."""
        ids = self._ids
        return best_scored(scores, lambda i: ids[slots[i]], limit, accept, tie_key)


def _pack(slot: int, tf: int) -> int:
    """One posting as one int: ordered by slot first, and never 0 (tf >= 1)."""
    return slot << 32 | tf


def _bound(terms: Iterable[_Term]) -> float:
    """The most a document can score from `terms` alone, added up as scores are (in single
    precision and in order, so rounding cannot lift a real score above it)."""
    total = np.float32(0.0)
    for term in terms:
        total = np.float32(total + term.bound)
    return float(total)
