"""Hybrid fusion's pure parts: scores scaled per ranking, each query weighing the rankings by
its own evidence, and the priors of a question in sentences (no I/O)."""

from __future__ import annotations

import pytest

from services.domain.models import Chunk, ScoredChunk
from services.knowledge.fusion import best_first, floor_of, hybrid_ranking, normalised
from services.knowledge.priors import (
    DECLARATION_SHARE,
    DOCS,
    SUPPORT_SHARE,
    TESTS,
    question_prior,
    roles,
)

QUESTION = "where are the widgets drawn on the screen"


def chunk(name: str, path: str = "pkg/a.py", line: int = 1, lines: int = 5,
          kind: str = "function", language: str = "python") -> Chunk:
    return Chunk(id=f"{path}:{line}:{name}", path=path, start_line=line,
                 end_line=line + lines - 1, symbol=name, kind=kind, language=language,
                 text="", content_hash="")


def ranked(*pairs: tuple[Chunk, float]) -> list[ScoredChunk]:
    return [ScoredChunk(c, s) for c, s in pairs]


def test_scores_are_scaled_between_the_floor_and_the_best():
    a, b, c = chunk("a", line=1), chunk("b", line=10), chunk("c", line=20)
    hits = ranked((a, 8.0), (b, 5.0), (c, 2.0))
    assert normalised(hits, 2.0) == pytest.approx({a.id: 1.0, b.id: 0.5, c.id: 0.0})
    assert normalised(hits, 0.0) == pytest.approx({a.id: 1.0, b.id: 0.625, c.id: 0.25})
    assert normalised(ranked((a, 3.0)), 3.0) == {a.id: 1.0}  # one hit, or all tied: all 1
    assert normalised([], 0.0) == {}
    # A ranking cut at its depth: what lies beyond scores about its last hit; a ranking that
    # holds every match: zero (or a negative cosine's lowest).
    assert floor_of(hits, depth=3) == 2.0
    assert floor_of(hits, depth=50) == 0.0
    assert floor_of(ranked((a, 0.4), (b, -0.2)), depth=50) == -0.2


def test_a_lexical_lead_counts_as_far_as_it_goes():
    # Rank fusion sees the same places in both cases; scaled scores see the gap: a lexical
    # best far ahead of the rest keeps the lead, a near tie leaves the order to meaning.
    right, other = chunk("paint", line=1), chunk("layout", line=20)
    filler = [chunk(f"f{i}", line=40 + i) for i in range(3)]
    semantic = ranked((other, 0.62), (right, 0.50), *((f, 0.1) for f in filler))
    far_ahead = ranked((right, 12.0), (other, 3.0), *zip(filler, (2.95, 2.92, 2.9), strict=True))
    near_tie = ranked((right, 3.1), (other, 3.09), *zip(filler, (3.0, 2.95, 2.9), strict=True))
    assert hybrid_ranking(QUESTION, far_ahead, semantic, depth=5)[0].chunk == right
    assert hybrid_ranking(QUESTION, near_tie, semantic, depth=5)[0].chunk == other


def test_a_question_ranks_code_before_tests_docs_declarations_and_very_long_hits():
    code = chunk("draw_widgets", line=1)
    test = chunk("test_draw", path="tests/test_a.py")
    doc = chunk("Drawing", path="README.md", kind="section", language="markdown")
    header = chunk("Widget", line=10, kind="class")
    long = chunk("draw_everything", line=30, lines=160)
    assert question_prior(code) == 1.0
    assert question_prior(test) == question_prior(doc) == SUPPORT_SHARE
    assert question_prior(header) == DECLARATION_SHARE
    assert question_prior(long) == pytest.approx(0.25)  # (80 of its 160 lines) squared
    assert question_prior(chunk("x", line=1, lines=80)) == 1.0
    # Each of them first in both rankings still ranks after the code for a question, and
    # keeps its place for a query that names it.
    for other in (test, doc, header, long):
        both = ranked((other, 0.9), (code, 0.8))
        assert hybrid_ranking(QUESTION, both, both, depth=50)[0].chunk == code, other
        assert hybrid_ranking(other.symbol, both, both, depth=50)[0].chunk == other


def test_a_short_hit_a_little_behind_a_long_one_ranks_first_for_a_question():
    # Fused, the 120-line hit scores 1.5 and the short one 0.9: a linear length share (80 of
    # 120 lines: 1.0) keeps the long hit first, the squared share (0.67) does not.
    long, short = chunk("alpha", line=1, lines=120), chunk("beta", line=200, lines=30)
    lexical = ranked((long, 1.0), (short, 0.6))
    semantic = ranked((long, 0.6), (short, 0.36))
    assert question_prior(long) == pytest.approx((80 / 120) ** 2)
    assert [h.chunk for h in hybrid_ranking(QUESTION, lexical, semantic, depth=50)] == [
        short, long]
    # A query naming code ranks by evidence alone.
    assert hybrid_ranking("alpha", lexical, semantic, depth=50)[0].chunk == long


def test_roles_tell_tests_and_docs_apart_by_one_rule():
    assert roles(chunk("t", path="tests/unit/test_a.py")) == {TESTS}
    assert roles(chunk("t", path="web/cart.spec.ts", language="typescript")) == {TESTS}
    assert roles(chunk("t", path="pkg/conftest.py")) == {TESTS}
    assert roles(chunk("s", path="docs/guide.md", language="markdown")) == {DOCS}
    assert roles(chunk("e", path="examples/demo.py")) == {DOCS}
    assert roles(chunk("s", path="tests/README.md", language="markdown")) == {TESTS, DOCS}
    assert roles(chunk("f", path="pkg/testing_utils.py")) == frozenset()
    assert roles(chunk("f", path="pkg/latest.py")) == frozenset()


def test_a_ranking_whose_best_hit_leads_by_far_counts_for_more_in_a_sentence():
    from services.knowledge.fusion import Fusion, lead

    a, b, c = chunk("a", line=1), chunk("b", line=10), chunk("c", line=20)
    # Lexically `a` leads far (a rare word matched); by meaning `b` is well ahead of `a`.
    lexical = ranked((a, 9.0), (c, 0.09))
    semantic = ranked((b, 0.8), (a, 0.36), (c, 0.1))
    assert lead(lexical, 50) == pytest.approx(0.99) and lead(semantic, 50) == pytest.approx(0.55)
    assert lead(ranked((a, 1.0)), 3) == 1.0 and lead([], 3) == 0.0
    question = "which widget is drawn first on the screen"

    def top(trust: float) -> str:
        return hybrid_ranking(question, lexical, semantic, 50, Fusion(trust=trust))[0].chunk.id

    assert top(0.0) == b.id and top(0.5) == a.id


def test_a_sentence_whose_best_lexical_hit_holds_all_its_words_weighs_words_more():
    from services.knowledge.fusion import Fusion, covered

    def coded(name: str, line: int, text: str) -> Chunk:
        return Chunk(id=f"pkg/a.py:{line}", path="pkg/a.py", start_line=line,
                     end_line=line + 1, symbol=name, kind="function", language="python",
                     text=text, content_hash="")

    question = "parse the request headers"  # content words: parse, request, headers
    every = coded("alpha", 1, "def alpha(request):\n    return parse(request.header)")
    some = coded("gamma", 20, "def gamma(data):\n    return parse(data)")
    other = coded("beta", 10, "def beta(x):\n    return x")
    assert covered(question, ranked((every, 9.0), (other, 5.0))) == 1.0  # "header" counts
    assert covered(question, ranked((some, 9.0), (other, 5.0))) == pytest.approx(1 / 3)
    assert covered(question, []) == 0.0
    # Words: the lexical #1 far ahead; meaning: `beta` first. Scaled, the #1 scores 0.5 * 1
    # + 0.75 and `beta` 0.5 * 0.56 + 1: meaning wins, unless the #1 holds every word of the
    # question (lexical weight 0.5 * (1 + 1)); holding one of three adds (1/3)^3 of it.
    semantic = ranked((other, 0.8), (every, 0.6), (some, 0.6))

    def top(best: Chunk, coverage: float) -> str:
        lexical = ranked((best, 9.0), (other, 5.0))
        return hybrid_ranking(question, lexical, semantic, 50,
                              Fusion(coverage=coverage))[0].chunk.symbol

    assert top(every, 0.0) == "beta" and top(every, 1.0) == "alpha"
    assert top(some, 1.0) == "beta"
    # A query naming code weighs its rankings alike, coverage or not.
    assert hybrid_ranking("alpha", ranked((every, 9.0), (other, 5.0)), semantic, 50,
                          Fusion(coverage=1.0)) == hybrid_ranking(
        "alpha", ranked((every, 9.0), (other, 5.0)), semantic, 50, Fusion())


def test_scores_equal_but_for_float_noise_tie_and_go_to_the_earlier_path():
    # The same fused score, computed from PostgreSQL's and from numpy's cosines, differs in
    # its last bits; both backends must still rank the two chunks alike.
    early, late = chunk("early", path="pkg/a.py"), chunk("late", path="pkg/b.py")
    for noise in (8.6e-8, -8.6e-8):
        hits = ranked((late, 1.759776 + noise), (early, 1.759776))
        assert [h.chunk.symbol for h in best_first(hits)] == ["early", "late"]
    # A real difference still decides.
    assert best_first(ranked((early, 1.0), (late, 1.001)))[0].chunk.symbol == "late"
