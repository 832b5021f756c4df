"""The ingestion pipeline: scan → parse → enrich → embed → persist.

Stages overlap: each runs as its own workers, joined by bounded queues, so reading, parsing
(in a process pool, on every core), LLM calls, embedding batches and database writes proceed
at once while memory stays bounded. A file is the unit of consistency: it is persisted in one
transaction together with all of its chunks, or not at all, so a crash or a kill at any point
leaves the index consistent and the next run completes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from services.domain.errors import StorageUnavailable
from services.domain.models import Chunk, FileRecord, Workspace, content_hash
from services.domain.symbols import FileSymbols
from services.ingestor.chunking import ChunkedFile, needs_parse_worker, parse_to_file
from services.ingestor.embed import EmbedStage
from services.ingestor.enrich import Enricher
from services.ingestor.parse_pool import ParsePool, ParserCrashed
from services.ingestor.progress import Progress
from services.ingestor.scope import scoped
from services.ingestor.text_budget import TextBudget
from services.storage.port import Files, Symbols
from services.workspace_files.languages import language_for
from services.workspace_files.policy import ScannedFile, ScanRules, SkippedFile
from services.workspace_files.read import read_source
from services.workspace_files.walk import scan

log = logging.getLogger(__name__)

_DONE = object()  # end-of-stream marker passed down the queues
QUEUE_SIZE = 32
EMBED_BATCH_FILES = 16
PERSIST_WORKERS = 3


@dataclass
class _File:
    """One file on its way through the stages."""

    scanned: ScannedFile
    stored: FileRecord | None
    language: str = ""
    text: str = ""
    file_hash: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    symbols: FileSymbols | None = None  # None: not parsed this run (or extraction is off)
    summary: str = ""
    reused: bool = False  # content unchanged (only touched): stored chunks are kept as they are
    held: int = 0  # bytes of the text budget this file holds while in the pipeline

    @property
    def path(self) -> str:
        return self.scanned.path

    def record(self) -> FileRecord:
        return FileRecord(path=self.path, content_hash=self.file_hash,
                          size_bytes=self.scanned.size_bytes, mtime_ns=self.scanned.mtime_ns,
                          language=self.language, summary=self.summary)


class _Store(Files, Symbols, Protocol):
    """Files and chunks, and (kept for a file touched but unchanged) their symbols."""


@dataclass
class Pipeline:
    """Runs the five stages for one workspace. Stateless between runs."""

    storage: _Store
    rules: ScanRules
    enricher: Enricher | None = None
    embedder: EmbedStage | None = None
    parse_pool: ParsePool | None = None  # None: always parse in threads
    extract_symbols: bool = True  # off: chunks only (the symbols benchmark's baseline)

    async def run(self, workspace: Workspace, *, full: bool, progress: Progress,
                  cancelled: asyncio.Event, paths: Sequence[str] | None = None) -> None:
        """Ingest the workspace, or only `paths` (workspace-relative files or folders)."""
        todo = await self._plan(workspace, full, progress, paths)
        if not todo:
            return
        if self.parse_pool is not None:
            await self.parse_pool.start()
        workers = self.parse_pool.workers if self.parse_pool else 2
        to_parse, to_enrich, to_embed, to_persist = (asyncio.Queue(QUEUE_SIZE) for _ in range(4))
        budget = TextBudget()

        def leave(item: _File) -> None:  # persisted, skipped, failed or dropped
            budget.give_back(item.held)
            item.held = 0

        # A TaskGroup: when one stage fails (storage down), the others are cancelled with it.
        async with asyncio.TaskGroup() as stages:
            stages.create_task(self._feed(todo, to_parse, budget, cancelled))
            stages.create_task(_stage(
                to_parse, to_enrich,
                lambda f: self._read_and_parse(workspace, f, full, progress),
                cancelled, leave, workers=workers * 2))  # twice the cores: reads and parses
            stages.create_task(_stage(to_enrich, to_embed, lambda f: self._enrich(f, progress),
                                      cancelled, leave, workers=4 if self.enricher else 1))
            stages.create_task(self._embed_batches(to_embed, to_persist, progress, cancelled,
                                                   leave))
            # Several writers: each file is its own transaction, and their round trips overlap.
            stages.create_task(_stage(to_persist, None,
                                      lambda f: self._persist(workspace, f, progress),
                                      cancelled, leave, workers=PERSIST_WORKERS))

    async def _plan(self, workspace: Workspace, full: bool, progress: Progress,
                    paths: Sequence[str] | None) -> list[_File]:
        """Scan, skip what is unchanged (size + mtime), and drop files that left the tree."""
        if paths is not None:
            entries, stored = await scoped(self.storage, workspace, self.rules, paths)
        else:
            stored = {f.path: f for f in await self.storage.list_files(workspace.id)}
            entries = await asyncio.to_thread(lambda: list(scan(Path(workspace.root),
                                                                self.rules)))
        todo, present = [], set()
        for entry in entries:
            if isinstance(entry, SkippedFile):
                progress.skip(entry.path, entry.reason)
                continue
            present.add(entry.path)
            old = stored.get(entry.path)
            if (not full and old is not None and old.size_bytes == entry.size_bytes
                    and old.mtime_ns == entry.mtime_ns):
                progress.add("files_unchanged")
            else:
                todo.append(_File(entry, old))
        gone = [path for path in stored if path not in present]
        if gone:
            progress.add("files_deleted", await self.storage.delete_files(workspace.id, gone))
        progress.add("files_total", len(todo))
        return todo

    async def _feed(self, todo: list[_File], out: asyncio.Queue, budget: TextBudget,
                    cancelled: asyncio.Event):
        for item in todo:
            item.held = await budget.take(item.scanned.size_bytes)
            if cancelled.is_set():
                break
            await out.put(item)
        await out.put(_DONE)

    async def _read_and_parse(self, workspace: Workspace, item: _File, full: bool,
                              progress: Progress) -> _File | None:
        source = await asyncio.to_thread(read_source, item.scanned, Path(workspace.root),
                                         self.rules.max_file_bytes,
                                         skip_secrets=self.rules.skip_secrets)
        if isinstance(source, SkippedFile):
            progress.skip(source.path, source.reason)
            if item.stored is not None:  # indexed before, not indexable now: drop the old entry
                progress.add("files_deleted",
                             await self.storage.delete_files(workspace.id, [item.path]))
            return None
        progress.add("files_scanned")
        # Keep the text only: the bytes it was decoded from are not held through the parse.
        item.file_hash, item.text, source = content_hash(source.data), source.text, None
        item.language = language_for(item.path)
        if not full and item.stored is not None and item.stored.content_hash == item.file_hash:
            # Touched but not changed: keep chunks and summary, refresh size and mtime so the
            # fast path applies next time.
            item.chunks = await self.storage.get_chunks(workspace.id, item.path)
            item.symbols = (await self.storage.get_symbols(workspace.id, [item.path])).get(
                item.path)
            item.summary, item.reused = item.stored.summary, True
            return item
        try:
            parsed = await self._parse(item)
        except ParserCrashed as err:
            _failed(progress, item, "parse", err)
            return None
        item.chunks = parsed.chunks
        item.symbols = parsed.symbols if self.extract_symbols else None
        item.text = ""  # the chunks hold it now; a 10 MB file need not wait in a queue twice
        progress.add("files_parsed")
        return item

    async def _parse(self, item: _File) -> ChunkedFile:
        # In this process when no grammar runs (see needs_parse_worker), or when there is no
        # pool (then a grammar crash would take this process down).
        args = (parse_to_file, item.path, item.text, item.language, self.extract_symbols)
        if self.parse_pool is None or not needs_parse_worker(item.text):
            return await asyncio.to_thread(*args)
        return await self.parse_pool.run(*args)

    async def _enrich(self, item: _File, progress: Progress) -> _File | None:
        if self.enricher is not None and not item.reused:
            try:
                item.chunks = await self.enricher.enrich(item.chunks)
                item.summary = await self.enricher.summarize_file(
                    item.path, item.language, item.file_hash, item.chunks)
            except StorageUnavailable:
                raise
            except Exception as err:
                _failed(progress, item, "enrichment", err)
                return None
        progress.add("files_enriched")
        return item

    async def _embed_batches(self, inbox: asyncio.Queue, out: asyncio.Queue,
                             progress: Progress, cancelled: asyncio.Event,
                             leave: Callable[[_File], None]) -> None:
        """Embeds several files' chunks per request batch: far fewer, fuller requests."""
        finished = False
        while not finished:
            batch = [await inbox.get()]
            while len(batch) < EMBED_BATCH_FILES and not inbox.empty():
                batch.append(inbox.get_nowait())
            finished = _DONE in batch
            files = [] if cancelled.is_set() else [f for f in batch if f is not _DONE]
            if files and self.embedder is not None:
                files = await self._embed(files, progress)
            kept = {id(item) for item in files}
            for item in batch:  # dropped by a cancel or a failed embedding
                if item is not _DONE and id(item) not in kept:
                    leave(item)
            for item in files:
                progress.add("files_embedded")
                await out.put(item)
        await out.put(_DONE)

    async def _embed(self, files: list[_File], progress: Progress) -> list[_File]:
        files, reused = [f for f in files if not f.reused], [f for f in files if f.reused]
        chunks = [c for f in files for c in f.chunks]
        try:
            embedded = iter(await self.embedder.embed_chunks(chunks))
        except StorageUnavailable:
            raise
        except Exception as err:
            for item in files:
                _failed(progress, item, "embedding", err)
            return reused
        for item in files:
            item.chunks = [next(embedded) for _ in item.chunks]
        return files + reused

    async def _persist(self, workspace: Workspace, item: _File, progress: Progress) -> None:
        await self.storage.replace_file(workspace.id, item.record(), item.chunks,
                                        symbols=item.symbols)
        progress.persisted(item.path, len(item.chunks))


def _failed(progress: Progress, item: _File, stage: str, err: Exception) -> None:
    log.warning("%s failed for %s: %s", stage, item.path, err)
    progress.fail(item.path, f"failed: {stage}: {err}; kept as before, retried next run")


async def _stage(inbox: asyncio.Queue, outbox: asyncio.Queue | None,
                 handle: Callable[[_File], Awaitable[_File | None]], cancelled: asyncio.Event,
                 leave: Callable[[_File], None], workers: int = 1) -> None:
    """Run `workers` copies of `handle` over the inbox until the end marker; `leave` each
    item that goes no further (handled by the last stage, skipped, failed or dropped).

    Once cancelled, items still queued are dropped unhandled: a file is persisted whole or
    not at all, so dropping one leaves it as it was for the next run.
    """

    async def worker() -> None:
        while (item := await inbox.get()) is not _DONE:
            result = None if cancelled.is_set() else await handle(item)
            if result is not None and outbox is not None:
                await outbox.put(result)
            else:
                leave(item)
        await inbox.put(_DONE)  # let sibling workers see the end too

    await asyncio.gather(*(worker() for _ in range(workers)))
    if outbox is not None:
        await outbox.put(_DONE)
