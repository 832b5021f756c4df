"""Exact cosine nearest neighbours in memory (memory adapter), one index per dimension.

Vectors are kept scaled to length 1, so cosine is a dot product; a query multiplies one
matrix (rebuilt lazily after changes) and picks the best few with a partial sort, widening
while a filter rejects candidates. Not thread-safe: the memory adapter holds its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

from services.storage.memory.ranking import best_scored


class VectorIndex:
    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}  # id -> unit vector
        self._matrix: tuple[list[str], np.ndarray] | None = None  # cache: ids, rows

    def __len__(self) -> int:
        return len(self._vectors)

    def add(self, doc_id: str, vector: Sequence[float]) -> bool:
        """Index `vector` under `doc_id`; False (nothing indexed) for the zero vector."""
        array = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(array))
        if norm == 0.0 or not np.isfinite(norm):
            return False
        self._vectors[doc_id] = array / norm
        self._matrix = None
        return True

    def remove(self, doc_id: str) -> None:
        if self._vectors.pop(doc_id, None) is not None:
            self._matrix = None

    def top(self, query: Sequence[float], limit: int, *,
            accept: Callable[[str], bool] | None = None,
            tie_key: Callable[[str], Hashable] = lambda doc_id: doc_id,
            ) -> list[tuple[str, float]]:
        """The `limit` accepted vectors nearest to `query` by cosine, best first."""
        q = np.asarray(query, dtype=np.float64)
        norm = float(np.linalg.norm(q))
        if limit <= 0 or norm == 0.0 or not self._vectors:
            return []
        if self._matrix is None:
            ids = list(self._vectors)
            self._matrix = (ids, np.vstack([self._vectors[i] for i in ids]))
        ids, matrix = self._matrix
        scores = matrix @ (q / norm)
        return best_scored(scores, ids.__getitem__, limit, accept, tie_key)
