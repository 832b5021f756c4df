"""Embed, the pipeline's stage: a vector per chunk, from whichever embedder (services/inference/)
the settings chose.

Vectors are cached by (hash of the exact text embedded, embedder model), so an unchanged chunk
is never embedded twice and an edited file re-embeds only the chunks whose text changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from services.domain.models import Chunk, content_hash
from services.inference.embedder import Embedder, batched
from services.inference.llm import Counters
from services.storage.port import ModelCaches

# MiniLM reads 256 word pieces (roughly 1,000 characters of code) and drops the rest, and
# remote models gain little from more: the start of a chunk (its name, signature, docstring)
# says most about it.
MAX_EMBED_CHARS = 2_000


def embedding_text(chunk: Chunk, max_chars: int = MAX_EMBED_CHARS) -> str:
    """What is embedded for a chunk: its name, where it lives, what the LLM said it does,
    then its text, cut to `max_chars` from the start."""
    head = " ".join(part for part in (chunk.symbol, chunk.path) if part)
    parts = [head, chunk.description, chunk.text]
    return "\n".join(part for part in parts if part)[:max_chars]


class EmbedStage:
    """Sets `embedding` on chunks, embedding only what the cache does not hold."""

    def __init__(self, embedder: Embedder, storage: ModelCaches, *,
                 max_chars: int = MAX_EMBED_CHARS) -> None:
        self.embedder = embedder
        self.counters = Counters()  # cache hits and misses; the embedder counts requests
        self._storage = storage
        self._max_chars = max_chars

    async def embed_chunks(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """The chunks, in order, each with its embedding.

        The cache key is the hash of the text actually embedded, not just of the chunk's
        code: that text also holds the path and the description, and a vector must never be
        reused for a different input. Each batch is cached as soon as it arrives, so a
        failure part way keeps the batches already paid for.
        """
        inputs = [embedding_text(chunk, self._max_chars) for chunk in chunks]
        keys = [content_hash(text) for text in inputs]
        texts = dict(zip(keys, inputs, strict=True))  # identical inputs are embedded once
        model = self.embedder.model
        found = await self._storage.get_embeddings(model, texts)
        misses = [key for key in texts if key not in found]
        self.counters.cache_hits += len(texts) - len(misses)
        self.counters.cache_misses += len(misses)
        for batch in batched(misses, self.embedder.batch_size):
            vectors = await self.embedder.embed([texts[key] for key in batch])
            fresh = dict(zip(batch, vectors, strict=True))
            await self._storage.put_embeddings(model, fresh)
            found.update(fresh)
        return [replace(chunk, embedding=tuple(map(float, found[key])))
                for chunk, key in zip(chunks, keys, strict=True)]
