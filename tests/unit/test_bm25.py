"""The memory adapter's BM25 index."""

from __future__ import annotations

from services.storage.bm25 import Bm25Index


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
