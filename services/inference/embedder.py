"""The embedder port: texts in, vectors out, one dimension per embedder."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar

from services.inference.llm import LlmRequestFailed

T = TypeVar("T")

LOCAL_MODEL_KEY = "local/all-MiniLM-L6-v2"
LOCAL_DIMENSIONS = 384


class EmbeddingFailed(LlmRequestFailed):
    """Texts could not be embedded this run (see LlmRequestFailed)."""

    default_reason = "EMBEDDING_FAILED"


class Embedder(Protocol):
    """Turns texts into vectors; every vector of one embedder has the same dimension."""

    model: str  # the embedding cache key: different models never share vectors
    uses_shared_llm: bool  # True when requests go to the endpoint behind the LLM lock
    batch_size: int  # texts per request (or per forward pass)

    @property
    def ready(self) -> bool:
        """False while a model this embedder needs is still loading: embed() would wait."""

    def warm_up(self) -> None:
        """Start loading what embed() needs in the background (nothing, for an endpoint)."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Raises EmbeddingFailed when it cannot."""


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
