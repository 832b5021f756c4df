"""Local models run in this process: one load per process, shared by the ingest pipeline and
the query embedder, computed off the event loop."""

from __future__ import annotations

import abc
import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from services.inference.embedder import EmbeddingFailed

log = logging.getLogger(__name__)


class InProcessEmbedder(abc.ABC):
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

    @abc.abstractmethod
    def _holder(self) -> SharedModel:
        """The process's holder of this embedder's model."""

    @abc.abstractmethod
    def _encode(self, texts: list[str]) -> list[list[float]]:
        """Vectors for `texts`, computed in the calling (worker) thread."""


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
