"""Search: lexical, semantic and hybrid rankings, filters, and paging.

Lexical ranking is the storage's full-text search over code-aware tokens (BM25 on both
backends) for the query's content words and their inflections (query_terms.py); semantic
ranking is cosine similarity to the query's embedding (exact in memory, HNSW in PostgreSQL).
Hybrid takes the best `depth` hits of each, ranks that pool a third way, by how many of the
query's words the chunk's symbol name holds (a name is what a question about code most often
describes), and fuses the three by weighted normalised scores, with the priors of a question
in sentences (fusion.py, priors.py).

A filter's path, languages and kinds apply inside storage; its `exclude_roles` (tests, docs:
priors.roles) apply here, on each ranking read deep enough to fill the page.

A semantic or hybrid page whose best semantic hit scores below what the best hit of a
nonsense query scores (calibrated per embedding model) carries a `no_good_match` notice: a
full page comes back either way, and an agent should not take it as an answer.

Without an embedder, while its model is still loading (a cold start: the server loads it in
the background, and a search must not wait 5-20 s for it), when the query cannot be embedded,
or when no chunk carries a vector of the embedder's dimension, semantic and hybrid searches
answer lexically and say why.

The index fills in layers (services/ingestor/layers.py): a chunk is found lexically as soon
as its file is parsed and semantically once its vector is stored. A semantic or hybrid search
over a partly embedded index ranks the chunks that have vectors, and says how many that is
("vectors cover 62 % of chunks"); the others are reachable lexically.

Pages are offsets into one deterministic ranking: a single-mode page asks storage for
offset + page size + 1 hits (the one extra tells whether more follow); a hybrid page fuses
the same fixed-depth rankings every time, so consecutive pages never overlap or skip.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from services.domain.errors import KnowportError, StorageUnavailable
from services.domain.models import Chunk, ScoredChunk, SearchFilters
from services.domain.path_glob import glob_to_regex
from services.domain.terms import search_terms
from services.inference.embedder import LOCAL_MODEL_KEY
from services.knowledge.fusion import DEFAULT_FUSION, Fusion, hybrid_ranking
from services.knowledge.named import NamedLookup
from services.knowledge.priors import roles
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.query_terms import lexical_query
from services.storage.port import ChunkLayers, ChunkSearch

log = logging.getLogger(__name__)

WARMING_UP = ("semantic search warming up: the embedding model is still loading; "
              "answered lexically")
HYBRID_DEPTH = 50  # hits taken from each ranking before fusion
MAX_RESULTS = 1000  # paging in one mode stops here: narrow the query beyond it
ROLE_SCAN_LIMIT = 5000  # hits of one ranking read, at most, to fill a page without some roles
# The best semantic score (cosine) below which a hit is no closer to the query than the best
# hit of a nonsense query, per embedding model; a key covers the model's other builds too
# (`local/all-MiniLM-L6-v2/onnx-int8`). Measured by `python -m bench.retrieval --calibrate`
# on the tune part; a model not listed gets no such notice.
NO_GOOD_MATCH_BELOW = {LOCAL_MODEL_KEY: 0.30}
NO_GOOD_MATCH = "no_good_match"


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
    # Share of the workspace's chunks with a vector, when the page used the semantic ranking.
    vector_coverage: float | None = None


class SearchStore(ChunkSearch, ChunkLayers, Protocol):
    """What search reads: the rankings, and how far the vectors layer has come."""


def coverage_notice(embedded: int, chunks: int) -> str:
    # Floored, so "100 %" is never said of an index still missing a vector.
    percent = embedded * 100 // chunks
    return (f"vectors cover {percent} % of chunks ({embedded} of {chunks}): the ingest is "
            "still embedding; the others are found lexically until then")


def no_lexical_match(narrowed: bool) -> str:
    where = " that matches the filter" if narrowed else ""
    return f"no chunk{where} holds any of the query's words"


Ranking = Callable[[int], Awaitable[list[ScoredChunk]]]


def admitted(chunk: Chunk, query: SearchQuery) -> bool:
    """Whether the query's filter and excluded roles let a chunk in (what storage applies to
    the rankings, for chunks found otherwise)."""
    flt = query.filters
    return ((not flt.path_glob or re.match(glob_to_regex(flt.path_glob), chunk.path) is not None)
            and (not flt.languages or chunk.language in flt.languages)
            and (not flt.kinds or chunk.kind in flt.kinds)
            and not roles(chunk) & query.exclude_roles)


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


class Searcher:
    """Runs searches against one storage, with the query embedder when there is one."""

    def __init__(self, storage: SearchStore, embedder: QueryEmbedder | None = None, *,
                 depth: int = HYBRID_DEPTH, fusion: Fusion = DEFAULT_FUSION,
                 max_results: int = MAX_RESULTS,
                 named: NamedLookup | None = None) -> None:
        self._storage = storage
        self._named_lookup = named
        self._embedder = embedder
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
                page = self._single(ranked, query, Mode.SEMANTIC, notices)
                return await self._with_coverage(page, query.workspace_id)
            return await self._fallback(lexical, query, end, notices)

        lexical_hits, semantic_hits = await asyncio.gather(lexical(self._depth),
                                                           semantic(self._depth))
        if not semantic_hits:
            return await self._fallback(lexical, query, end, notices, lexical_hits)
        self._judge_match(semantic_hits[0].score, notices)
        fused = hybrid_ranking(query.text, lexical_hits, semantic_hits, self._depth,
                               self._fusion, await self._named(query))
        has_more = len(fused) > end
        if not has_more and self._depth in (len(lexical_hits), len(semantic_hits)):
            notices.append(f"hybrid ranking covers the best {self._depth} hits of each "
                           "ranking; search lexically or semantically to page further")
        page = SearchPage(fused[query.offset:end], has_more, Mode.HYBRID, notices)
        return await self._with_coverage(page, query.workspace_id)

    async def _named(self, query: SearchQuery) -> list[ScoredChunk]:
        """The chunks holding the definitions the query names, when they count (named.py)
        and storage can look them up; none that a filter leaves out."""
        if self._named_lookup is None or not self._fusion.named_weight(query.text):
            return []
        found = await self._named_lookup(query.workspace_id, query.text)
        return [hit for hit in found if admitted(hit.chunk, query)]

    async def _with_coverage(self, page: SearchPage, workspace_id: str) -> SearchPage:
        """The page, saying how much of the index its semantic ranking could see."""
        embedded, chunks = await self._storage.vector_coverage(workspace_id)
        page.vector_coverage = embedded / chunks if chunks else 1.0
        if embedded < chunks:
            page.notices.append(coverage_notice(embedded, chunks))
        return page

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
