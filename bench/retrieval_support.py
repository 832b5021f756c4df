"""Pieces of bench/retrieval.py: the vector cache between runs, the scores with their
bootstrap intervals, and the baseline (bm25s + the same embeddings, reciprocal rank fusion).
"""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.domain.models import Chunk, content_hash
from services.inference.embedder import Embedder, batched
from services.storage.port import Storage

CACHE_DIR = Path(".bench-cache")
MAX_LINES = 80  # a hit longer than this is not counted by the "≤80" score
BASELINE_RRF_K = 60  # the classic constant (Cormack et al., 2009)


class VectorCache:
    """Vectors by (hash of the text embedded) in a file under .bench-cache/, so a rerun
    embeds only what changed: embedding thousands of chunks takes minutes on this CPU."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._file = CACHE_DIR / f"retrieval-{content_hash(model)[:12]}.npz"
        self._vectors: dict[str, tuple[float, ...]] = {}
        if self._file.exists():
            data = np.load(self._file)
            self._vectors = {k: tuple(map(float, v))
                             for k, v in zip(data["keys"], data["vectors"], strict=True)}

    def save(self) -> None:
        """Write the cache whole, then rename it into place: another run reading or writing
        it at the same time never sees half a file."""
        CACHE_DIR.mkdir(exist_ok=True)
        keys = sorted(self._vectors)
        partial = self._file.with_suffix(f".{os.getpid()}.npz")
        np.savez(partial, keys=np.array(keys),
                 vectors=np.array([self._vectors[k] for k in keys], dtype=np.float32))
        os.replace(partial, self._file)

    async def seed(self, storage: Storage) -> None:
        """Hand every cached vector to storage's own embedding cache before an ingest."""
        for keys in batched(sorted(self._vectors), 2000):
            await storage.put_embeddings(self.model, {k: self._vectors[k] for k in keys})

    async def collect(self, storage: Storage, keys: Sequence[str]) -> None:
        """Keep the vectors an ingest computed (it put them in storage's cache)."""
        found = await storage.get_embeddings(self.model, [k for k in keys
                                                          if k not in self._vectors])
        self._vectors.update({k: tuple(map(float, v)) for k, v in found.items()})

    def vector(self, key: str) -> tuple[float, ...]:
        return self._vectors[key]

    async def texts(self, embedder: Embedder, texts: Sequence[str],
                    say) -> dict[str, tuple[float, ...]]:
        """Vectors of `texts` (queries), embedding the ones not cached, with progress."""
        missing = sorted({t for t in texts if content_hash(t) not in self._vectors})
        for done, batch in enumerate(batched(missing, 64)):
            vectors = await embedder.embed(list(batch))
            self._vectors.update({content_hash(t): tuple(v)
                                  for t, v in zip(batch, vectors, strict=True)})
            say(f"  embedded queries {min((done + 1) * 64, len(missing))}/{len(missing)}")
        if missing:
            self.save()
        return {t: self._vectors[content_hash(t)] for t in texts}


@dataclass(frozen=True)
class Outcome:
    """One query's result in one ranking: the 1-based rank of its answer in the top 10
    (None: not there), the answer's length in lines, and the top 10's lengths."""

    rank: int | None
    answer_lines: int
    hit_lines: tuple[int, ...]


def reciprocal(outcome: Outcome, max_lines: int | None = None) -> float:
    if outcome.rank is None or (max_lines is not None and outcome.answer_lines > max_lines):
        return 0.0
    return 1.0 / outcome.rank


def bootstrap(values: Sequence[float], rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    """The 95 % percentile interval of the mean of `values`, resampled `rounds` times."""
    if not values:
        return 0.0, 0.0
    rnd = random.Random(seed)
    data = np.asarray(values)
    means = sorted(float(data[[rnd.randrange(len(data)) for _ in range(len(data))]].mean())
                   for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def summary(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """R@1, R@10, MRR@10 with its 95 % interval, MRR@10 counting no hit over 80 lines, and
    the median length of the hits shown."""
    n = len(outcomes) or 1
    rr = [reciprocal(o) for o in outcomes]
    low, high = bootstrap(rr)
    lengths = [length for o in outcomes for length in o.hit_lines]
    return {"n": len(outcomes),
            "R@1": sum(1 for o in outcomes if o.rank == 1) / n,
            "R@10": sum(1 for o in outcomes if o.rank is not None) / n,
            "MRR@10": sum(rr) / n, "lo": low, "hi": high,
            "MRR≤80": sum(reciprocal(o, MAX_LINES) for o in outcomes) / n,
            "med.lines": statistics.median(lengths) if lengths else 0.0}


class Baseline:
    """bm25s over the chunks' path, symbol and text, cosine over the same vectors knowport
    stores, and the two fused by reciprocal rank fusion (k=60): what one would build from
    off-the-shelf parts."""

    def __init__(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        texts = [f"{c.path}\n{c.symbol}\n{c.text}" for c in self.chunks]
        self._bm25.index(bm25s.tokenize(texts, stopwords="en", show_progress=False),
                         show_progress=False)
        self._matrix = np.array(vectors, dtype=np.float32)

    def lexical(self, text: str, depth: int = 50) -> list[int]:
        import bm25s

        tokens = bm25s.tokenize([text], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        found, scores = self._bm25.retrieve(tokens, k=min(depth, len(self.chunks)),
                                            show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(found[0], scores[0], strict=True) if s > 0]

    def semantic(self, vector: Sequence[float], depth: int = 50) -> list[int]:
        sims = self._matrix @ np.asarray(vector, dtype=np.float32)
        return [int(i) for i in np.argsort(-sims, kind="stable")[:depth]]

    def rrf(self, text: str, vector: Sequence[float]) -> list[int]:
        scores: dict[int, float] = {}
        for ranking in (self.lexical(text), self.semantic(vector)):
            for rank, doc in enumerate(ranking, start=1):
                scores[doc] = scores.get(doc, 0.0) + 1.0 / (BASELINE_RRF_K + rank)
        return sorted(scores, key=lambda d: -scores[d])
