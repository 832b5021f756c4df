"""The memory adapter's BM25 index."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.storage.memory.bm25 import Bm25Index


def index_of(**docs: str) -> Bm25Index:
    index = Bm25Index()
    for doc_id, text in docs.items():
        index.add(doc_id, text.split())
    return index


def test_only_matching_documents_score_and_a_rare_term_weighs_more():
    index = index_of(a="common x", b="rare x", c="common y", d="common z", e="none")
    scores = index.scores(["common", "rare"])
    assert set(scores) == {"a", "b", "c", "d"}
    assert scores["b"] > scores["a"] > 0


def test_term_frequency_saturates_and_long_documents_are_damped():
    index = index_of(once="w a b c", twice="w w a b", long="w " + "pad " * 30, other="q")
    scores = index.scores(["w"])
    assert scores["twice"] > scores["once"] > scores["long"]
    assert scores["twice"] < 2 * scores["once"]


def test_removed_and_replaced_documents_leave_the_index():
    index = index_of(a="apple", b="apple pear")
    index.add("b", ["pear"])  # replacing a document drops its old terms
    assert set(index.scores(["apple"])) == {"a"}
    index.remove("a")
    index.remove("a")  # removing twice is harmless
    assert index.scores(["apple"]) == {}
    assert set(index.scores(["pear", "apple"])) == {"b"}
    assert Bm25Index().scores(["x"]) == {}


# Documents made so the pruned path of `top` is tested where it can go wrong: common words (in
# more than 1/16 of the documents, so `top` reads them from dense vectors), rare ones (in a
# few), and padding that makes some documents long, so a short one holding only common words
# can outscore a long one holding a rare word.
COMMON = ["c0", "c1", "c2", "c3"]
RARE = ["r0", "r1"]


def one_in(n: int):
    return st.integers(0, n - 1).map(lambda draw: draw == 0)


document = st.builds(
    lambda common, rare, pad: [w for w, keep in zip(COMMON + RARE, common + rare, strict=True)
                               if keep] + ["pad"] * pad,
    # A common word in one document of eight weighs (one in nearly every document would not).
    st.lists(one_in(8), min_size=4, max_size=4), st.lists(one_in(30), min_size=2, max_size=2),
    st.integers(0, 20))


def test_a_short_document_of_common_words_beats_long_ones_with_a_rare_word():
    index = Bm25Index()
    for n in range(100):
        index.add(f"c{n:03}", ["c0", "c1", "c2"] if n < 10 else ["x"])
    for n in range(3):
        index.add(f"r{n}", ["r0"] + ["pad"] * 20)
    assert [doc_id for doc_id, _ in index.top(["r0", "c0", "c1", "c2"], 3)] == [
        "c000", "c001", "c002"]


@settings(max_examples=80, deadline=None)
@given(docs=st.lists(document, min_size=40, max_size=150),
       query=st.lists(st.sampled_from(COMMON + RARE), min_size=1, max_size=6),
       limit=st.integers(1, 3), modulus=st.integers(1, 2))
def test_top_equals_every_score_sorted_and_cut(docs, query, limit, modulus):
    index = Bm25Index()
    for n, words in enumerate(docs):
        index.add(f"d{n:03}", words or ["empty"])

    def accept(doc_id: str) -> bool:
        return int(doc_id[1:]) % modulus == 0

    everything = sorted(((doc_id, score) for doc_id, score in index.scores(query).items()
                         if accept(doc_id)), key=lambda item: (-item[1], item[0]))
    found = index.top(query, limit, accept=accept)
    assert [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in everything[:limit]]
    assert [score for _, score in found] == pytest.approx([s for _, s in everything[:limit]])


# Documents that come and go: removed documents' postings wait for a compaction, which
# renumbers slots and frees term ids, and postings move between the one-int and the array
# form. Scores must be those of an index of the survivors alone.
churn = st.lists(st.tuples(st.integers(0, 11), st.lists(st.sampled_from(COMMON + RARE + ["pad"]),
                                                        max_size=8)), min_size=1, max_size=60)


@settings(max_examples=80, deadline=None)
@given(steps=churn)
def test_after_adds_and_removes_scores_equal_a_fresh_index_of_the_survivors(steps):
    index, survivors = Bm25Index(), {}
    for doc, words in steps:
        doc_id = f"d{doc:02}"
        if words:
            index.add(doc_id, words)
            survivors[doc_id] = words
        else:  # an empty draw removes the document
            index.remove(doc_id)
            survivors.pop(doc_id, None)
    fresh = Bm25Index()
    for doc_id, words in survivors.items():
        fresh.add(doc_id, words)
    every_term = COMMON + RARE + ["pad"]
    assert len(index) == len(survivors)
    assert index.slots <= 2 * len(survivors)  # removed documents never outnumber the others
    assert index.scores(every_term) == pytest.approx(fresh.scores(every_term))
    for term in every_term:
        assert index.scores([term]) == pytest.approx(fresh.scores([term]))


def test_the_index_costs_few_bytes_a_posting():
    """The memory storage holds the index for every chunk; a minified or data file has
    thousands of distinct terms per chunk. Each document's tokens are fresh strings, as
    splitting a chunk's text makes them: the index must not keep a copy per document."""
    vocabulary = [f"term{n}" for n in range(5000)]
    documents = [" ".join(vocabulary[(d * 7 + k * 13) % 5000] for k in range(300))
                 for d in range(1000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = Bm25Index()
        for d, text in enumerate(documents):
            index.add(f"doc{d}", text.split())
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    postings = 1000 * 300  # the 300 terms of a document are distinct
    assert len(index) == 1000
    # ~12 now; dicts of postings and per-document tuples of term strings took ~104.
    assert held / postings < 16
