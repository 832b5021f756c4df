"""The memory storage adapter: everything in this process, gone when it exits.

Every method does its reads and writes without awaiting, so on one event loop each call is
atomic with respect to other coroutines; the lock additionally covers calls from other threads
(asyncio.to_thread). Stored values are immutable or copied on the way in and out, so a caller
never holds a reference into the store.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.domain.errors import AlreadyExists
from services.domain.models import (
    Chunk,
    Enrichment,
    FileRecord,
    IngestJob,
    Lease,
    ScoredChunk,
    SearchFilters,
    StorageStats,
    Workspace,
)
from services.domain.symbols import FileSymbols
from services.domain.terms import search_terms
from services.storage import checks
from services.storage.memory.layers import MemoryChunkLayers
from services.storage.memory.space import Space, chunk_order, matcher, place
from services.storage.memory.symbols import MemorySymbols


@dataclass(frozen=True)
class _HeldLease:
    holder: str
    lease_id: str
    fencing_token: int
    deadline: float  # on the injected monotonic clock: this decides
    expires_at: datetime  # the same moment as a time of day, fixed when set: this reports


class MemoryStorage(MemorySymbols, MemoryChunkLayers):
    """The Storage port in process memory (see services/storage/port.py for the contract)."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock  # decides lease expiry; monotonic, so wall-clock jumps do nothing
        self._wall_clock = wall_clock  # only to report an expiry as a time of day
        self._lock = threading.RLock()
        self._workspaces: dict[str, Workspace] = {}
        self._spaces: dict[str, Space] = {}
        self._enrichments: dict[tuple[str, str], Enrichment] = {}  # (model, hash) -> value
        self._embeddings: dict[tuple[str, str], tuple[float, ...]] = {}
        self._jobs: dict[str, IngestJob] = {}
        self._lease: _HeldLease | None = None  # the last lease issued, live or not
        self._last_fencing_token = 0
        self._lease_version = 0  # counts changes, for lease_changes()
        self._lease_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Keeps the data: a closed memory storage opened again finds it all still there."""

    async def ping(self) -> None:
        """Always reachable."""

    # --- workspaces -------------------------------------------------------------------
    async def upsert_workspace(self, workspace: Workspace) -> Workspace:
        with self._lock:
            stored = self._workspaces.get(workspace.id)
            if stored is None:
                stored = replace(workspace, created_at=workspace.created_at or _now())
                self._workspaces[workspace.id] = stored
            return stored

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        with self._lock:
            return self._workspaces.get(workspace_id)

    async def list_workspaces(self) -> list[Workspace]:
        with self._lock:
            return sorted(self._workspaces.values(), key=lambda w: w.id)

    async def delete_workspace(self, workspace_id: str) -> bool:
        with self._lock:
            self._spaces.pop(workspace_id, None)
            for job_id in [j.id for j in self._jobs.values() if j.workspace_id == workspace_id]:
                del self._jobs[job_id]
            return self._workspaces.pop(workspace_id, None) is not None

    # --- files and chunks --------------------------------------------------------------
    async def replace_file(self, workspace_id: str, file: FileRecord,
                           chunks: Sequence[Chunk], symbols: FileSymbols | None = None) -> None:
        ordered = tuple(sorted(checks.replacement(file, chunks), key=chunk_order))
        file = replace(file, indexed_at=file.indexed_at or _now(),
                       layers=frozenset(map(str, file.layers)))
        with self._lock:
            space = self._spaces.setdefault(workspace_id, Space())
            space.drop(file.path)
            space.add(file, ordered, symbols)

    async def delete_files(self, workspace_id: str, paths: Iterable[str]) -> int:
        with self._lock:
            space = self._spaces.get(workspace_id)
            return 0 if space is None else sum(space.drop(path) for path in set(paths))

    async def get_file(self, workspace_id: str, path: str) -> FileRecord | None:
        with self._lock:
            space = self._spaces.get(workspace_id)
            return None if space is None else space.files.get(path)

    async def list_files(self, workspace_id: str) -> list[FileRecord]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            return [] if space is None else sorted(space.files.values(), key=lambda f: f.path)

    async def get_files(self, workspace_id: str,
                        paths: Iterable[str]) -> dict[str, FileRecord]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            if space is None:
                return {}
            return {p: f for p in paths if (f := space.files.get(p)) is not None}

    async def get_chunks(self, workspace_id: str, path: str) -> list[Chunk]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            return [] if space is None else list(space.chunks.get(path, ()))

    async def iter_chunks(self, workspace_id: str,
                          batch_size: int = 1000) -> AsyncIterator[list[Chunk]]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            paths = [] if space is None else sorted(space.files)
        batch: list[Chunk] = []
        for path in paths:
            with self._lock:
                chunks = space.chunks.get(path, ()) if space is not None else ()
            batch.extend(replace(c, embedding=None) for c in chunks)
            while len(batch) >= max(batch_size, 1):
                yield batch[:batch_size]
                batch = batch[batch_size:]
        if batch:
            yield batch

    # --- search ------------------------------------------------------------------------
    async def search_lexical(self, workspace_id: str, query: str, limit: int,
                             filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        terms = search_terms(query)
        keep = matcher(filters)
        with self._lock:
            space = self._spaces.get(workspace_id)
            if space is None or not terms or limit <= 0:
                return []
            by_id = space.by_id
            accept = None if filters == SearchFilters() else lambda i: keep(by_id[i])
            best = space.lexical.top(terms, limit, accept=accept,
                                     tie_key=lambda i: place(by_id[i]))
            return [ScoredChunk(by_id[chunk_id], score) for chunk_id, score in best]

    async def search_semantic(self, workspace_id: str, vector: Sequence[float], limit: int,
                              filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        query = checks.vector(vector, "query vector")
        keep = matcher(filters)
        with self._lock:
            space = self._spaces.get(workspace_id)
            index = None if space is None else space.vectors.get(len(query))
            if index is None or limit <= 0:
                return []
            by_id = space.by_id
            accept = None if filters == SearchFilters() else lambda i: keep(by_id[i])
            best = index.top(query, limit, accept=accept, tie_key=lambda i: place(by_id[i]))
            return [ScoredChunk(by_id[chunk_id], score) for chunk_id, score in best]

    async def stats(self, workspace_id: str) -> StorageStats:
        with self._lock:
            space = self._spaces.get(workspace_id) or Space()
            chunks = space.by_id.values()
            languages: dict[str, int] = {}
            layers: dict[str, int] = {}
            for file in space.files.values():
                languages[file.language] = languages.get(file.language, 0) + 1
                for layer in file.layers:
                    layers[layer] = layers.get(layer, 0) + 1
            return StorageStats(
                files=len(space.files),
                chunks=len(space.by_id),
                enriched_chunks=sum(1 for c in chunks if c.description or c.purpose),
                embedded_chunks=sum(1 for c in chunks if c.embedding is not None),
                total_bytes=sum(f.size_bytes for f in space.files.values()),
                languages=languages,
                layers=layers,
            )

    # --- caches keyed by (content hash, model) -----------------------------------------
    async def get_enrichments(self, model: str,
                              hashes: Iterable[str]) -> dict[str, Enrichment]:
        with self._lock:
            return {h: e for h in hashes
                    if (e := self._enrichments.get((model, h))) is not None}

    async def put_enrichments(self, model: str, items: Mapping[str, Enrichment]) -> None:
        with self._lock:
            self._enrichments.update(((model, h), e) for h, e in items.items())

    async def get_embeddings(self, model: str,
                             hashes: Iterable[str]) -> dict[str, tuple[float, ...]]:
        with self._lock:
            return {h: v for h in hashes
                    if (v := self._embeddings.get((model, h))) is not None}

    async def put_embeddings(self, model: str, items: Mapping[str, Sequence[float]]) -> None:
        rounded = {(model, h): checks.vector(v, f"embedding {h}") for h, v in items.items()}
        with self._lock:
            self._embeddings.update(rounded)

    # --- ingest jobs -------------------------------------------------------------------
    async def save_job(self, job: IngestJob) -> None:
        with self._lock:
            if job.request_id:
                other = self._job_by_request_id(job.workspace_id, job.request_id)
                if other is not None and other.id != job.id:
                    raise AlreadyExists(
                        f"request id {job.request_id!r} already started job {other.id}",
                        metadata={"job_id": other.id})
            stored = self._jobs.get(job.id)
            created_at = job.created_at or (stored.created_at if stored else None) or _now()
            heartbeat = job.heartbeat_at if job.state.finished else _now()
            cancel = job.cancel_requested or (stored is not None and stored.cancel_requested)
            self._jobs[job.id] = _copy_job(job, created_at=created_at, heartbeat_at=heartbeat,
                                           cancel_requested=cancel)

    async def claim_job(self, job: IngestJob,
                        stale_after: timedelta) -> tuple[IngestJob, bool]:
        with self._lock:
            for other in list(self._jobs.values()):
                if other.workspace_id != job.workspace_id or other.state.finished:
                    continue
                if other.heartbeat_at is not None and _now() - other.heartbeat_at < stale_after:
                    return _copy_job(other), False
                self._jobs[other.id] = _copy_job(other, **checks.interrupted_job_changes(_now()))
            await self.save_job(job)
            return _copy_job(self._jobs[job.id]), True

    async def request_cancel(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and not job.state.finished:
                self._jobs[job_id] = _copy_job(job, cancel_requested=True)

    async def get_job(self, job_id: str) -> IngestJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else _copy_job(job)

    async def find_job_by_request_id(self, workspace_id: str,
                                     request_id: str) -> IngestJob | None:
        with self._lock:
            job = self._job_by_request_id(workspace_id, request_id) if request_id else None
            return None if job is None else _copy_job(job)

    async def list_jobs(self, workspace_id: str, limit: int,
                        after_job_id: str = "") -> list[IngestJob]:
        with self._lock:
            jobs = sorted((j for j in self._jobs.values() if j.workspace_id == workspace_id),
                          key=_job_order, reverse=True)
            if after_job_id:
                cursor = self._jobs.get(after_job_id)
                if cursor is None or cursor.workspace_id != workspace_id:
                    raise checks.unknown_cursor(after_job_id)
                jobs = [j for j in jobs if _job_order(j) < _job_order(cursor)]
            return [_copy_job(j) for j in jobs[:max(limit, 0)]]

    def _job_by_request_id(self, workspace_id: str, request_id: str) -> IngestJob | None:
        return next((j for j in self._jobs.values()
                     if j.workspace_id == workspace_id and j.request_id == request_id), None)

    # --- the LLM lease -----------------------------------------------------------------
    async def acquire_lease(self, holder: str, ttl: timedelta,
                            lease_id: str) -> tuple[Lease, bool]:
        checks.lease_request(ttl, lease_id)
        with self._lock:
            now = self._clock()
            live = self._live_lease(now)
            if live is not None:  # a retry by the live holder is not contention
                return self._report(live), live.lease_id == lease_id
            self._last_fencing_token += 1
            self._lease = _HeldLease(holder, lease_id, self._last_fencing_token,
                                     now + ttl.total_seconds(), self._wall_clock() + ttl)
            self._lease_changed()
            return self._report(self._lease), True

    async def renew_lease(self, lease_id: str, ttl: timedelta) -> Lease | None:
        checks.lease_request(ttl, lease_id)
        with self._lock:
            now = self._clock()
            live = self._live_lease(now)
            if live is None or live.lease_id != lease_id:
                return None
            self._lease = replace(live, deadline=now + ttl.total_seconds(),
                                  expires_at=self._wall_clock() + ttl)
            self._lease_changed()
            return self._report(self._lease)

    async def release_lease(self, lease_id: str) -> bool:
        with self._lock:
            live = self._live_lease(self._clock())
            if live is None or live.lease_id != lease_id:
                return False
            # Kept as the last lease issued, expired.
            self._lease = replace(live, deadline=-math.inf, expires_at=checks.RELEASED_AT)
            self._lease_changed()
            return True

    async def current_lease(self) -> Lease | None:
        with self._lock:
            now = self._clock()
            live = self._live_lease(now)
            return None if live is None else self._report(live)

    async def last_lease(self) -> Lease | None:
        with self._lock:
            return None if self._lease is None else self._report(self._lease)

    async def lease_changes(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        seen = self._lease_version
        while True:
            with self._lock:
                waiter = None
                if self._lease_version == seen:
                    waiter = loop.create_future()
                    self._lease_waiters.append((loop, waiter))
            if waiter is not None:
                await waiter
            seen = self._lease_version
            yield

    def _lease_changed(self) -> None:
        """Wake every lease_changes() waiter, whichever loop or thread it waits on."""
        self._lease_version += 1
        waiters, self._lease_waiters = self._lease_waiters, []
        for loop, waiter in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_wake, waiter)

    def _live_lease(self, now: float) -> _HeldLease | None:
        return self._lease if self._lease is not None and self._lease.deadline > now else None

    @staticmethod
    def _report(lease: _HeldLease) -> Lease:
        return Lease(lease.holder, lease.lease_id, lease.fencing_token, lease.expires_at)


def _now() -> datetime:
    return datetime.now(UTC)


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _job_order(job: IngestJob) -> tuple[datetime, str]:
    assert job.created_at is not None  # save_job always fills it
    return job.created_at, job.id


def _copy_job(job: IngestJob, **changes: object) -> IngestJob:
    return replace(job, counts=dict(job.counts), skipped=[tuple(s) for s in job.skipped],
                   **changes)
