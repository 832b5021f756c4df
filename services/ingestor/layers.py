"""The later layers of a stored file: vectors, then descriptions, each upgrading the file's
chunks in place (storage's ChunkLayers role), one transaction per file per layer.

A file enters once its structure is stored (or, on a rerun, when its record says a layer is
missing). Each layer reads the file's chunks back from storage rather than holding them from
the parse: a layer that waits (for the LLM lock, a slow model) holds only paths, so structure
goes on at full speed and memory stays small. An upgrade names the version it was computed
for (the file's content hash); storage refuses it when the file changed meanwhile, and the
newer version gets its own pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.domain.errors import StorageUnavailable
from services.domain.models import Chunk, Enrichment, Layer
from services.ingestor.embed import EmbedStage
from services.ingestor.enrich import Enricher
from services.ingestor.progress import Progress
from services.storage.port import ChunkLayers, Files

log = logging.getLogger(__name__)

EMBED_BATCH_FILES = 16
DESCRIBE_WORKERS = 4


class LayerStore(Files, ChunkLayers, Protocol):
    """What the layers read and write."""


@dataclass(frozen=True)
class Ticket:
    """A stored version of a file that still lacks some layers."""

    path: str
    content_hash: str
    language: str
    layers: frozenset[str]


class LaterLayers:
    """Runs the vectors and descriptions layers of one ingest over the files handed in."""

    def __init__(self, storage: LayerStore, workspace_id: str, progress: Progress,
                 cancelled: asyncio.Event, *, embedder: EmbedStage | None,
                 enricher: Enricher | None) -> None:
        self._storage = storage
        self._workspace = workspace_id
        self._progress = progress
        self._cancelled = cancelled
        self._embedder = embedder
        self._enricher = enricher
        self._wanted = ({Layer.VECTORS} if embedder else set()) | (
            {Layer.DESCRIPTIONS} if enricher else set())
        # Unbounded on purpose: they hold paths, never text (see the module docstring).
        self._to_embed: asyncio.Queue[Ticket | None] = asyncio.Queue()
        self._to_describe: asyncio.Queue[Ticket | None] = asyncio.Queue()
        self._vectors_done = asyncio.Event()
        self._structure_done = asyncio.Event()

    def missing(self, layers: frozenset[str]) -> set[Layer]:
        return {layer for layer in self._wanted if layer not in layers}

    def submit(self, ticket: Ticket) -> None:
        """Queue a stored file for the layers it lacks (nothing when it lacks none)."""
        missing = self.missing(ticket.layers)
        for layer in missing:
            self._progress.layers[layer].total += 1
        if Layer.VECTORS in missing:
            self._to_embed.put_nowait(ticket)
        elif Layer.DESCRIPTIONS in missing:
            self._to_describe.put_nowait(ticket)

    def close(self) -> None:
        """No more files will be submitted; the layers finish what they hold."""
        self._to_embed.put_nowait(None)
        self._structure_done.set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as layers:
            layers.create_task(self._vectors())
            describers = [layers.create_task(self._describer())
                          for _ in range(DESCRIBE_WORKERS if self._enricher else 1)]
            layers.create_task(self._end_descriptions(describers))

    async def _end_descriptions(self, describers: list[asyncio.Task]) -> None:
        await self._vectors_done.wait()
        for _ in describers:
            self._to_describe.put_nowait(None)

    # --- vectors -------------------------------------------------------------------------
    async def _vectors(self) -> None:
        """Embeds several files' chunks per request batch: far fewer, fuller requests.

        Starts once the structure layer is through: a local model and the parsers compete for
        the same cores, and every file searchable by its words comes before some vectors a
        little sooner (structure is many times faster than embedding).
        """
        try:
            await self._structure_done.wait()
            finished = False
            while not finished:
                batch = [await self._to_embed.get()]
                while len(batch) < EMBED_BATCH_FILES and not self._to_embed.empty():
                    batch.append(self._to_embed.get_nowait())
                finished = None in batch
                tickets = [t for t in batch if t is not None]
                if tickets and not self._cancelled.is_set():
                    await self._embed(tickets)
        finally:
            self._vectors_done.set()

    async def _embed(self, tickets: list[Ticket]) -> None:
        loaded = [(t, await self._chunks(t, Layer.VECTORS)) for t in tickets]
        loaded = [(t, chunks) for t, chunks in loaded if chunks is not None]
        try:
            embedded = iter(await self._embedder.embed_chunks(
                [c for _, chunks in loaded for c in chunks]))
        except StorageUnavailable:
            raise
        except Exception as err:
            for ticket, _ in loaded:
                self._failed(ticket, Layer.VECTORS, err)
            return
        for ticket, chunks in loaded:
            vectors = {c.id: next(embedded).embedding for c in chunks}
            if await self._storage.set_embeddings(self._workspace, ticket.path,
                                                  ticket.content_hash, vectors):
                self._progress.add("files_embedded")
                self._progress.layers[Layer.VECTORS].finish()
                if Layer.DESCRIPTIONS in self.missing(ticket.layers):
                    self._to_describe.put_nowait(ticket)
            else:
                self._changed(ticket, Layer.VECTORS)

    # --- descriptions --------------------------------------------------------------------
    async def _describer(self) -> None:
        while (ticket := await self._to_describe.get()) is not None:
            if not self._cancelled.is_set():
                await self._describe(ticket)

    async def _describe(self, ticket: Ticket) -> None:
        chunks = await self._chunks(ticket, Layer.DESCRIPTIONS)
        if chunks is None:
            return
        try:
            described = await self._enricher.enrich(chunks)
            summary = await self._enricher.summarize_file(
                ticket.path, ticket.language, ticket.content_hash, described)
            # The description is part of what is embedded (embed.embedding_text).
            vectors = {}
            if self._embedder is not None:
                vectors = {c.id: c.embedding
                           for c in await self._embedder.embed_chunks(described)}
        except StorageUnavailable:
            raise
        except Exception as err:
            self._failed(ticket, Layer.DESCRIPTIONS, err)
            return
        enrichments = {c.id: Enrichment(c.description, c.purpose) for c in described}
        if await self._storage.set_descriptions(self._workspace, ticket.path,
                                                ticket.content_hash, summary, enrichments,
                                                vectors):
            self._progress.add("files_enriched")
            self._progress.layers[Layer.DESCRIPTIONS].finish()
        else:
            self._changed(ticket, Layer.DESCRIPTIONS)

    # --- shared --------------------------------------------------------------------------
    async def _chunks(self, ticket: Ticket, layer: Layer) -> Sequence[Chunk] | None:
        """The stored chunks of the ticket's version; None when the file changed since."""
        record = await self._storage.get_file(self._workspace, ticket.path)
        if record is None or record.content_hash != ticket.content_hash:
            self._changed(ticket, layer)
            return None
        return await self._storage.get_chunks(self._workspace, ticket.path)

    def _changed(self, ticket: Ticket, layer: Layer) -> None:
        """The file changed or left since this version was stored: whoever stored the newer
        version queues its own layers, so this one's (from `layer` on) are dropped, not
        counted as done."""
        for later in self._from(ticket, layer):
            self._progress.layers[later].total -= 1

    def _failed(self, ticket: Ticket, layer: Layer, err: Exception) -> None:
        log.warning("%s layer failed for %s: %s", layer, ticket.path, err)
        self._progress.fail(ticket.path, f"failed: {layer}: {err}; searchable without them, "
                                         "retried next run", layer)
        for later in self._from(ticket, layer) - {layer}:  # never reached this run
            self._progress.layers[later].total -= 1

    def _from(self, ticket: Ticket, layer: Layer) -> set[Layer]:
        """The ticket's missing layers from `layer` on."""
        order = [Layer.VECTORS, Layer.DESCRIPTIONS]
        return set(order[order.index(layer):]) & self.missing(ticket.layers)
