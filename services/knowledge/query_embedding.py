"""Query vectors from the same embedder the ingest used, with a small cache.

Paging through one query, or the same question asked again, costs no second embedding. The
embedder here never waits at the LLM lock: the agent that holds the lock is the one asking.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from services.inference.embedder import Embedder


class QueryEmbedder:
    def __init__(self, embedder: Embedder, cache_size: int = 1024) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.embedder.model

    @property
    def ready(self) -> bool:
        """False while the embedder's model is still loading: a query would wait for it, so
        searches answer lexically until then (see Searcher)."""
        return self.embedder.ready

    def warm_up(self) -> None:
        """Start loading the embedder's model in the background (the server does at start)."""
        self.embedder.warm_up()

    async def prime(self, queries: list[str]) -> None:
        """Embed many queries in one batch ahead of their searches (warm-up, benchmarks)."""
        vectors = await self.embedder.embed(queries)
        with self._lock:
            for query, raw in zip(queries, vectors, strict=True):
                self._cache[query] = tuple(float(x) for x in raw)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    async def embed(self, query: str) -> tuple[float, ...]:
        """The query's vector. Raises what the embedder raises (EmbeddingFailed)."""
        with self._lock:
            vector = self._cache.get(query)
            if vector is not None:
                self._cache.move_to_end(query)
                return vector
        (raw,) = await self.embedder.embed([query])
        vector = tuple(float(x) for x in raw)
        with self._lock:
            self._cache[query] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector
