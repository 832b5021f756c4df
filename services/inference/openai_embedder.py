"""Embeddings from an OpenAI-compatible /v1/embeddings endpoint, through the LLM gate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.inference.embedder import EmbeddingFailed, batched
from services.inference.llm import (
    Counters,
    LlmGate,
    RetryPolicy,
    UnusableAnswer,
    request_with_retries,
)

if TYPE_CHECKING:
    import openai  # ~45 MB resident: imported only where a client is made (llm.py)


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible /v1/embeddings endpoint, `batch_size` per request."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, gate: LlmGate,
                 batch_size: int = 64, *, uses_shared_llm: bool = True,
                 max_attempts: int = 4, backoff_base: float = 0.5) -> None:
        self.model = model
        self.uses_shared_llm = uses_shared_llm
        self.batch_size = batch_size
        self.counters = Counters()
        self._client = client
        self._gate = gate
        self._policy = RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base)

    @property
    def ready(self) -> bool:
        return True  # an endpoint has nothing to load

    def warm_up(self) -> None:
        return None

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for batch in batched(texts, self.batch_size):
            vectors.extend(await self._embed_batch(batch))
        return vectors

    async def _embed_batch(self, batch: Sequence[str]) -> list[list[float]]:
        async def send() -> list[list[float]]:
            # "float", not the client's default base64: not every compatible server has it.
            response = await self._client.embeddings.create(
                model=self.model, input=list(batch), encoding_format="float")
            items = sorted(response.data, key=lambda item: item.index)
            if len(items) != len(batch):
                raise UnusableAnswer(f"{len(items)} vectors for {len(batch)} texts")
            vectors = [list(item.embedding) for item in items]
            if len({len(v) for v in vectors}) != 1 or not all(map(_finite, vectors)):
                raise UnusableAnswer("vectors of mixed dimensions or with non-finite values")
            return vectors

        return await request_with_retries(send, gate=self._gate, policy=self._policy,
                                          counters=self.counters,
                                          what=f"embedding {len(batch)} texts",
                                          failure=EmbeddingFailed)


def _finite(vector: Sequence[float]) -> bool:
    return len(vector) > 0 and all(math.isfinite(x) for x in vector)
