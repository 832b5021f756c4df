"""The memory adapter's ChunkLayers role: later layers upgrade a stored file's chunks in place.

A mixin of MemoryStorage: it works on the same workspaces (`_spaces`) under the same lock, so
an upgrade is atomic with respect to every other call, as replace_file is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from services.domain.models import Chunk, Enrichment, Layer
from services.storage import checks
from services.storage.memory.space import Space


class MemoryChunkLayers:
    _lock: threading.RLock
    _spaces: dict[str, Space]

    async def set_embeddings(self, workspace_id: str, path: str, content_hash: str,
                             vectors: Mapping[str, Sequence[float]]) -> bool:
        rounded = _rounded(vectors)
        return self._upgrade(workspace_id, path, content_hash, {Layer.VECTORS},
                             lambda c: _embedded(c, rounded))

    async def set_descriptions(self, workspace_id: str, path: str, content_hash: str,
                               summary: str, described: Mapping[str, Enrichment],
                               vectors: Mapping[str, Sequence[float]]) -> bool:
        rounded = _rounded(vectors)

        def change(chunk: Chunk) -> Chunk:
            if (enrichment := described.get(chunk.id)) is not None:
                chunk = replace(chunk, description=enrichment.description,
                                purpose=enrichment.purpose)
            return _embedded(chunk, rounded)

        layers = {Layer.DESCRIPTIONS, Layer.VECTORS} if vectors else {Layer.DESCRIPTIONS}
        return self._upgrade(workspace_id, path, content_hash, layers, change, summary)

    async def vector_coverage(self, workspace_id: str) -> tuple[int, int]:
        with self._lock:
            space = self._spaces.get(workspace_id) or Space()
            if all(Layer.VECTORS in f.layers for f in space.files.values()):
                return len(space.by_id), len(space.by_id)
            return (sum(1 for c in space.by_id.values() if c.embedding is not None),
                    len(space.by_id))

    def _upgrade(self, workspace_id: str, path: str, content_hash: str, layers: set[Layer],
                 change: Callable[[Chunk], Chunk], summary: str | None = None) -> bool:
        with self._lock:
            space = self._spaces.get(workspace_id)
            record = None if space is None else space.files.get(path)
            if record is None or record.content_hash != content_hash:
                return False
            chunks = tuple(change(chunk) for chunk in space.chunks.get(path, ()))
            record = replace(record, layers=record.layers | {str(x) for x in layers},
                             summary=record.summary if summary is None else summary)
            symbols = space.symbols.files.get(path)  # a layer changes chunks, not symbols
            space.drop(path)  # re-adding keeps each search index in step with the chunks
            space.add(record, chunks, symbols)
            return True


def _rounded(vectors: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, ...]]:
    return {key: checks.vector(v, f"the embedding of chunk {key}") for key, v in vectors.items()}


def _embedded(chunk: Chunk, vectors: Mapping[str, tuple[float, ...]]) -> Chunk:
    vector = vectors.get(chunk.id)
    return chunk if vector is None else replace(chunk, embedding=vector)
