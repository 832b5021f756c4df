"""Hybrid ranking: the lexical and semantic rankings, and a third by symbol name, fused into
one by weighted normalised scores, then the priors of a question in sentences.

Each ranking's scores are put on one scale before they are added: a hit's score as its place
between what a chunk outside the ranking would score (0) and the ranking's best (1). For
lexical and semantic rankings cut at `depth` that floor is the last hit's score; for shorter
ones (every matching chunk is there) and for names it is zero. Unlike reciprocal rank fusion
(Cormack et al., 2009), which sees only places, this keeps the gaps: a lexical #1 far above
the rest (a rare identifier matched) keeps its lead over a chunk that meaning ranks a little
higher, while lexical near ties leave the order to meaning, so each query weighs the
rankings by what its own evidence says. The weights depend on the query's shape (`Fusion`);
for a question in sentences the priors of priors.py apply (implementation before tests and
docs, code that does something before declarations, short hits before very long ones). A
query that is a name adds a boost to the chunks holding the definitions it names (named.py).

bench/retrieval.py measured the choices on installed packages: tuned on its tune part
(`--tune`), reported on the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.domain.models import ScoredChunk
from services.domain.terms import lexical_document, tokens
from services.knowledge.priors import LONG_POWER, question_prior
from services.knowledge.query_terms import word_forms

RRF_K = 5  # orders the pool that names are ranked in (see `fuse`)
_IDENTIFIER = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]|[a-z][A-Z]|\w\.\w|\(\)|::|/")
IDENTIFIER_MAX_WORDS = 4  # a longer query is a sentence, identifiers in it or not


def query_is_identifier(text: str) -> bool:
    """Whether a query names code (`parse_config`, `Context.invoke callback`, `getUser`,
    `a/b.py`, one or two bare words) rather than asking in sentences; a sentence that
    mentions an identifier ("Raise `NotCallableError` if the value cannot be called") is
    still a sentence."""
    words = len(text.split())
    return words <= 2 or (bool(_IDENTIFIER.search(text)) and words <= IDENTIFIER_MAX_WORDS)


@dataclass(frozen=True)
class Fusion:
    """Weights of the (lexical, semantic, symbol name) rankings for each shape of query.

    A query that names code is best matched by its words in text and names, as much as by
    its meaning; a question in sentences shares few words with the code that answers it, so
    its meaning counts twice as much. On the tune part of bench/retrieval.py, fused by
    normalised scores, (0.5, 1, 0.5) for sentences came within 0.002 MRR@10 of the best
    weighting tried (lexical 0.35-1, names 0.25-0.75), so the weights chosen for rank fusion
    were kept.
    """

    identifier: tuple[float, float, float] = (1.0, 1.0, 1.0)
    natural: tuple[float, float, float] = (0.5, 1.0, 0.5)
    long_power: float = LONG_POWER  # a question's length share (priors.py), tuned with these
    # Added to the fused score of a chunk holding a definition the query names, times its
    # share (named.py): for a query that is a name, and for a sentence that names one. On the
    # tune part of bench/retrieval.py, 0.5 to 2 lifted the identifier set's MRR@10 from 0.930
    # to 0.985 alike (0.25: 0.970), leaving the docstring and question sets unchanged; 1, the
    # middle of that plateau, also puts a name defined once above a caller that says it
    # three times (tests/integration/test_search_named.py), which 0.5 did not. Any boost for
    # sentences cost the docstring set (0.25: -0.001, 0.5: -0.003, 1: -0.009): a docstring's
    # `NotCallableError` names what the code raises, not the code. So sentences get none.
    named_identifier: float = 1.0
    named_natural: float = 0.0
    # Per-query trust, for a sentence: a ranking whose best hit stands out from its second
    # (`lead`) counts for more, its weight times (1 + trust * lead); near ties leave the
    # order to the other ranking. On the tune part (memory), trust 0 / 0.25 / 0.5 / 0.75 /
    # 1 / 2 gave the docstring sets MRR@10 0.6105 / 0.6114 / 0.6152 / 0.6127 / 0.6123 /
    # 0.6125 and the questions 0.6705 / 0.6705 / 0.6705 / 0.6837 / 0.6837 / 0.6619. 0.5,
    # checked once on the report part, did not hold: docstrings +0.001, questions -0.008,
    # starlette's docstrings -0.005 (MRR@10, memory). Off: `bench.retrieval --trust 0.5`
    # repeats the check.
    trust: float = 0.0
    # Coverage, for a sentence: the lexical weight times (1 + coverage * c ** coverage_power),
    # c the share of the query's content words that the best lexical hit holds (`covered`).
    # BM25 adds up partial matches, so a lexical #1 may hold two of six words, or every one
    # (coordination level matching, as in classic IR); only the latter says the words point
    # at one place. On the tune part of bench/retrieval.py (memory; MRR@10, docstrings /
    # questions): off 0.6084 / 0.6875; power 3, coverage 1: +0.005 / +0.006, no set lower,
    # per package or pooled; its neighbours (power 2-4, coverage 1-1.5) +0.003 to +0.009 on
    # docstrings, some lowering one package's set by 0.006-0.016. Linear (power 1)
    # lowered the questions by 0.03 at coverage 1: partial matches must count for little.
    # Power 3, coverage 1, checked once on the report part (both backends), did not hold:
    # docstrings 0.662 -> 0.660 (PostgreSQL 0.661), questions 0.618 -> 0.616, starlette's
    # docstrings unchanged at 0.617 (lexical 0.633). Off: `bench.retrieval --coverage 1`
    # repeats the check.
    coverage: float = 0.0
    coverage_power: float = 3.0

    def named_weight(self, text: str) -> float:
        return self.named_identifier if query_is_identifier(text) else self.named_natural

    def weights_for(self, text: str) -> tuple[float, float, float]:
        return self.identifier if query_is_identifier(text) else self.natural


DEFAULT_FUSION = Fusion()


def by_symbol_name(query: str, pool: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """The chunks of `pool` whose symbol names hold any of the query's words, most first.

    Score: words matched over the square root of the name's token count plus one, so that
    `parse_config` beats `parse_config_file_or_default` for "parse the config". Ties keep
    the pool's order.
    """
    forms = word_forms(query)
    scored = []
    for position, hit in enumerate(pool):
        if not hit.chunk.symbol:
            continue
        name = set(tokens(hit.chunk.symbol))
        matched = sum(1 for form in forms if form & name)
        if matched:
            scored.append((matched / math.sqrt(len(name) + 1), position, hit.chunk))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [ScoredChunk(chunk, score) for score, _, chunk in scored]


def tie_score(score: float) -> float:
    """`score` as ranking compares it. The backends' cosines differ in their last float bits
    (pgvector sums in float4, numpy in another order: up to 1e-7 on bench/retrieval.py), so
    two chunks tied in fused score could swap places between them; rounded, a tie is a tie
    on both, and goes to the earlier path and line."""
    return round(score, 6)


def best_first(hits: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """Highest score first; ties go to the earlier path and line."""
    return sorted(hits, key=lambda h: (-tie_score(h.score), h.chunk.path, h.chunk.start_line,
                                       h.chunk.id))


def fuse(rankings: Sequence[Sequence[ScoredChunk]], weights: Sequence[float],
         k: float = RRF_K) -> list[ScoredChunk]:
    """Reciprocal rank fusion of best-first rankings; ties go to the earlier path and line.
    Hybrid uses it only to order the pool that symbol names are ranked in."""
    scores: dict[str, float] = {}
    chunks = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            chunk_id = hit.chunk.id
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
            chunks.setdefault(chunk_id, hit.chunk)
    return best_first([ScoredChunk(chunks[i], scores[i]) for i in scores])


def normalised(ranking: Sequence[ScoredChunk], floor: float) -> dict[str, float]:
    """Each hit's score as its place between `floor` (0) and the ranking's best score (1)."""
    if not ranking:
        return {}
    span = ranking[0].score - floor
    return {hit.chunk.id: max(0.0, (hit.score - floor) / span) if span > 0 else 1.0
            for hit in ranking}


def floor_of(ranking: Sequence[ScoredChunk], depth: int) -> float:
    """What a chunk outside the ranking would score: about the last hit's score when the
    ranking was cut at `depth`, zero (or the lowest score) when it holds every match."""
    if len(ranking) >= depth:
        return ranking[-1].score
    return min(0.0, ranking[-1].score) if ranking else 0.0


def lead(ranking: Sequence[ScoredChunk], depth: int) -> float:
    """How far a ranking's best hit stands above its second, on its normalised scale."""
    if len(ranking) < 2:
        return 1.0 if ranking else 0.0
    span = ranking[0].score - floor_of(ranking, depth)
    return (ranking[0].score - ranking[1].score) / span if span > 0 else 0.0


def covered(text: str, ranking: Sequence[ScoredChunk]) -> float:
    """The share of the query's content words (in any of their forms) that the best hit of
    a lexical ranking holds: 1 when it holds them all, 0 for no hit."""
    forms = word_forms(text)
    if not ranking or not forms:
        return 0.0
    held = set(lexical_document(ranking[0].chunk).split())
    return sum(1 for form in forms if form & held) / len(forms)


def hybrid_ranking(text: str, lexical: Sequence[ScoredChunk], semantic: Sequence[ScoredChunk],
                   depth: int, fusion: Fusion = DEFAULT_FUSION,
                   defined: Sequence[ScoredChunk] = ()) -> list[ScoredChunk]:
    """The fused ranking of a query's lexical and semantic hits (each at most `depth`), best
    first (see the module doc); `defined` are the chunks holding definitions the query names,
    scored by their share (named.py), which join the pool if they are not in it."""
    pool = fuse((lexical, semantic), (1.0, 1.0))
    seen = {hit.chunk.id for hit in pool}
    pool += [hit for hit in defined if hit.chunk.id not in seen]
    boost = {hit.chunk.id: fusion.named_weight(text) * hit.score for hit in defined}
    names = by_symbol_name(text, pool)
    parts = (normalised(lexical, floor_of(lexical, depth)),
             normalised(semantic, floor_of(semantic, depth)), normalised(names, 0.0))
    weights = fusion.weights_for(text)
    sentence = not query_is_identifier(text)
    if sentence and fusion.trust:
        leads = (lead(lexical, depth), lead(semantic, depth), 0.0)
        weights = tuple(w * (1 + fusion.trust * g) for w, g in zip(weights, leads, strict=True))
    if sentence and fusion.coverage:
        gain = 1 + fusion.coverage * covered(text, lexical) ** fusion.coverage_power
        weights = (weights[0] * gain, *weights[1:])
    fused = []
    for hit in pool:
        score = sum(w * part.get(hit.chunk.id, 0.0) for w, part in zip(weights, parts,
                                                                        strict=True))
        if sentence:
            score *= question_prior(hit.chunk, fusion.long_power)
        # After the priors: naming a definition says where to look, whatever its kind.
        fused.append(ScoredChunk(hit.chunk, score + boost.get(hit.chunk.id, 0.0)))
    return best_first(fused)
