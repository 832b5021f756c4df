"""Search: lexical, semantic and hybrid rankings, weighted rank fusion, and paging.

Lexical ranking is the storage's full-text search over code-aware tokens (BM25 in memory,
the stored tsvector in PostgreSQL) for the query's content words and their inflections
(query_terms.py); semantic ranking is cosine similarity to the query's embedding (exact in
memory, HNSW in PostgreSQL). Hybrid takes the best `depth` hits of each, ranks that pool a
third way, by how many of the query's words the chunk's symbol name holds (a name is what a
question about code most often describes), and fuses the three rankings with weighted
reciprocal rank fusion (Cormack et al., 2009): score = sum of weight / (k + rank). The
weights depend on the query (`Fusion`): one that names code (`parse_config`, `a.b`, one or
two words) weighs the three alike; a question in sentences weighs meaning twice as much as
words and names, and ranks tests and documentation after the implementation (priors.py).

k is 5, not the paper's 60: with so few rankings, agreement near the top should count for
more than presence further down. bench/retrieval.py measures the choices on installed
packages (tuned on its tune part, reported on the rest).

A semantic or hybrid page whose best semantic hit scores below what the best hit of a
nonsense query scores (calibrated per embedding model) carries a `no_good_match` notice: a
full page comes back either way, and an agent should not take it as an answer.

Without an embedder, while its model is still loading (a cold start: the server loads it in
the background, and a search must not wait 5-20 s for it), when the query cannot be embedded,
or when no chunk carries a vector of the embedder's dimension, semantic and hybrid searches
answer lexically and say why.

Pages are offsets into one deterministic ranking: a single-mode page asks storage for
offset + page size + 1 hits (the one extra tells whether more follow); a hybrid page fuses
the same fixed-depth rankings every time, so consecutive pages never overlap or skip.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from services.domain.errors import KnowportError, StorageUnavailable
from services.domain.models import ScoredChunk, SearchFilters
from services.ingestor.embed import LOCAL_MODEL_KEY
from services.knowledge.priors import SUPPORT_SHARE, is_test_or_doc, roles
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.query_terms import lexical_query, word_forms
from services.storage.port import Storage
from services.storage.tokens import search_terms, tokens

log = logging.getLogger(__name__)

WARMING_UP = ("semantic search warming up: the embedding model is still loading; "
              "answered lexically")
RRF_K = 5  # see the module doc
HYBRID_DEPTH = 50  # hits taken from each ranking before fusion
MAX_RESULTS = 1000  # paging in one mode stops here: narrow the query beyond it
ROLE_SCAN_LIMIT = 5000  # hits of one ranking read, at most, to fill a page without some roles
# The best semantic score (cosine) below which a hit is no closer to the query than the best
# hit of a nonsense query, per embedding model; a key covers the model's other builds too
# (`local/all-MiniLM-L6-v2/onnx-int8`). Measured by `python -m bench.retrieval --calibrate`
# on the tune part; a model not listed gets no such notice.
NO_GOOD_MATCH_BELOW = {LOCAL_MODEL_KEY: 0.30}
NO_GOOD_MATCH = "no_good_match"
_IDENTIFIER = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]|[a-z][A-Z]|\w\.\w|\(\)|::|/")


class Mode(enum.StrEnum):
    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class SearchQuery:
    workspace_id: str
    text: str
    mode: Mode
    filters: SearchFilters
    offset: int  # hits of this ranking already shown on earlier pages
    page_size: int
    exclude_roles: frozenset[str] = frozenset()  # priors.ROLES whose chunks are left out

    @property
    def narrowed(self) -> bool:
        return self.filters != SearchFilters() or bool(self.exclude_roles)


@dataclass
class SearchPage:
    hits: list[ScoredChunk]  # best first, at most page_size, starting at the query's offset
    has_more: bool  # more ranked hits follow these
    effective_mode: Mode
    notices: list[str] = field(default_factory=list)


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


def fuse(rankings: Sequence[Sequence[ScoredChunk]], weights: Sequence[float],
         k: float = RRF_K) -> list[ScoredChunk]:
    """Reciprocal rank fusion of best-first rankings; ties go to the earlier path and line."""
    scores: dict[str, float] = {}
    chunks = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            chunk_id = hit.chunk.id
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
            chunks.setdefault(chunk_id, hit.chunk)
    order = sorted(scores, key=lambda i: (-scores[i], chunks[i].path, chunks[i].start_line, i))
    return [ScoredChunk(chunks[i], scores[i]) for i in order]


def no_lexical_match(narrowed: bool) -> str:
    where = " that matches the filter" if narrowed else ""
    return f"no chunk{where} holds any of the query's words"


Ranking = Callable[[int], Awaitable[list[ScoredChunk]]]


async def without_roles(ranking: Ranking, want: int, exclude: frozenset[str],
                        scan_limit: int = ROLE_SCAN_LIMIT) -> list[ScoredChunk]:
    """The best `want` hits of `ranking` whose chunks have none of the `exclude` roles.

    Storage knows nothing of roles (priors.roles is the use case's rule), so the ranking is
    read further in, four times as deep each time, until enough hits are kept, it ends, or
    `scan_limit` hits were read."""
    if not exclude:
        return await ranking(want)
    limit = want
    while True:
        hits = await ranking(limit)
        kept = [hit for hit in hits if not roles(hit.chunk) & exclude]
        if len(kept) >= want or len(hits) < limit or limit >= scan_limit:
            return kept[:want]
        limit = min(limit * 4, scan_limit)


def query_is_identifier(text: str) -> bool:
    """Whether a query names code (`parse_config`, `Context.invoke`, `getUser`, `a/b.py`, one
    or two bare words) rather than asking in sentences."""
    return bool(_IDENTIFIER.search(text)) or len(text.split()) <= 2


@dataclass(frozen=True)
class Fusion:
    """Weights of the (lexical, semantic, symbol name) rankings for each shape of query.

    A query that names code is best matched by its words in text and names, as much as by
    its meaning; a question in sentences shares few words with the code that answers it, so
    its meaning counts twice as much. Tuned on the tune part of bench/retrieval.py (`--tune`,
    a grid of 27 weightings): for sentences, (0.5, 1, 0.5) gave MRR@10 0.615 where equal
    weights gave under 0.608.
    """

    identifier: tuple[float, float, float] = (1.0, 1.0, 1.0)
    natural: tuple[float, float, float] = (0.5, 1.0, 0.5)

    def weights_for(self, text: str) -> tuple[float, float, float]:
        return self.identifier if query_is_identifier(text) else self.natural


def implementation_first(fused: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """Tests and documentation at SUPPORT_SHARE of their score (services/knowledge/priors.py),
    then best first again; ties go to the earlier path and line, as in `fuse`."""
    scored = [ScoredChunk(hit.chunk, hit.score * SUPPORT_SHARE) if is_test_or_doc(hit.chunk)
              else hit for hit in fused]
    return sorted(scored, key=lambda h: (-h.score, h.chunk.path, h.chunk.start_line,
                                         h.chunk.id))


class Searcher:
    """Runs searches against one storage, with the query embedder when there is one."""

    def __init__(self, storage: Storage, embedder: QueryEmbedder | None = None, *,
                 rrf_k: float = RRF_K, depth: int = HYBRID_DEPTH,
                 fusion: Fusion = Fusion(),
                 max_results: int = MAX_RESULTS) -> None:
        self._storage = storage
        self._embedder = embedder
        self._rrf_k = rrf_k
        self._depth = depth
        self._fusion = fusion
        self._max_results = max_results

    async def search(self, query: SearchQuery) -> SearchPage:
        notices: list[str] = []
        end = query.offset + query.page_size
        if query.offset >= self._max_results:
            return SearchPage([], False, query.mode, [
                f"paging stops after {self._max_results} hits; narrow the query or filter"])
        words = lexical_query(query.text)
        if not search_terms(words):
            notices.append("the query has no words or identifiers to match lexically")

        async def lexical(limit: int) -> list[ScoredChunk]:
            hits = await without_roles(
                lambda n: self._storage.search_lexical(query.workspace_id, words, n,
                                                       query.filters),
                limit, query.exclude_roles)
            empty = no_lexical_match(query.narrowed)  # an empty answer says why, once
            if not hits and search_terms(words) and empty not in notices:
                notices.append(empty)
            return hits

        if query.mode is Mode.LEXICAL:
            return self._single(await lexical(self._fetch(end)), query, Mode.LEXICAL, notices)

        vector = await self._vector(query.text, notices)
        if vector is None:
            return self._single(await lexical(self._fetch(end)), query, Mode.LEXICAL, notices)

        def semantic(limit: int) -> Awaitable[list[ScoredChunk]]:
            return without_roles(
                lambda n: self._storage.search_semantic(query.workspace_id, vector, n,
                                                        query.filters),
                limit, query.exclude_roles)

        if query.mode is Mode.SEMANTIC:
            ranked = await semantic(self._fetch(end))
            if ranked:
                self._judge_match(ranked[0].score, notices)
                return self._single(ranked, query, Mode.SEMANTIC, notices)
            return await self._fallback(lexical, query, end, notices)

        lexical_hits, semantic_hits = await asyncio.gather(lexical(self._depth),
                                                           semantic(self._depth))
        if not semantic_hits:
            return await self._fallback(lexical, query, end, notices, lexical_hits)
        self._judge_match(semantic_hits[0].score, notices)
        pool = fuse((lexical_hits, semantic_hits), (1.0, 1.0), self._rrf_k)
        names = by_symbol_name(query.text, pool)
        fused = fuse((lexical_hits, semantic_hits, names), self._fusion.weights_for(query.text),
                     self._rrf_k)
        if not query_is_identifier(query.text):
            fused = implementation_first(fused)
        has_more = len(fused) > end
        if not has_more and self._depth in (len(lexical_hits), len(semantic_hits)):
            notices.append(f"hybrid ranking covers the best {self._depth} hits of each "
                           "ranking; search lexically or semantically to page further")
        return SearchPage(fused[query.offset:end], has_more, Mode.HYBRID, notices)

    def _judge_match(self, best: float, notices: list[str]) -> None:
        """Say `no_good_match` when the best semantic hit is no closer to the query than the
        best hit of a nonsense query usually is (a full page comes back either way)."""
        model = self._embedder.model if self._embedder else ""
        below = next((v for k, v in NO_GOOD_MATCH_BELOW.items()
                      if model == k or model.startswith(k + "/")), None)
        if below is not None and best < below:
            notices.append(f"{NO_GOOD_MATCH}: the best hit's similarity {best:.2f} is below "
                           f"{below:.2f}, where answers to nonsense queries score; nothing "
                           "indexed may match, so check before relying on these hits")

    def _fetch(self, end: int) -> int:
        """Hits to ask storage for: the pages so far plus one, to tell whether more follow."""
        return min(end, self._max_results) + 1

    def _single(self, ranked: list[ScoredChunk], query: SearchQuery, mode: Mode,
                notices: list[str]) -> SearchPage:
        end = query.offset + query.page_size
        limit = min(end, self._max_results)
        has_more = len(ranked) > limit
        if has_more and limit == self._max_results:
            has_more = False
            notices.append(f"paging stops after {self._max_results} hits; narrow the query "
                           "or filter")
        return SearchPage(ranked[query.offset:limit], has_more, mode, notices)

    async def _fallback(self, lexical: Ranking, query: SearchQuery, end: int,
                        notices: list[str],
                        fetched: list[ScoredChunk] | None = None) -> SearchPage:
        model = self._embedder.model if self._embedder else ""
        where = " that matches the filter" if query.narrowed else ""
        notices.append(f"no indexed chunk{where} has an embedding from this server's embedder "
                       f"({model}); answered lexically")
        # Hits fetched for fusion do for this page when they are all there are, or enough.
        complete = fetched is not None and (len(fetched) < self._depth
                                            or len(fetched) >= self._fetch(end))
        ranked = fetched if complete else await lexical(self._fetch(end))
        return self._single(ranked, query, Mode.LEXICAL, notices)

    async def _vector(self, text: str, notices: list[str]) -> tuple[float, ...] | None:
        if self._embedder is None:
            notices.append("no embedder is configured on this server; answered lexically")
            return None
        if not self._embedder.ready:
            notices.append(WARMING_UP)
            return None
        try:
            return await self._embedder.embed(text)
        except StorageUnavailable:
            raise
        except (KnowportError, OSError, RuntimeError, ValueError) as err:
            log.warning("could not embed a search query: %s", err)
            notices.append(f"the query could not be embedded ({err}); answered lexically")
            return None
