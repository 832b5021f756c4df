"""The storage ports: one role protocol per kind of thing stored, and `Storage`, all of them.

Each consumer takes only the roles it uses (the lock takes `Leases`, retrieval `ChunkSearch`
and `Files`, the pipeline `Files`, the caches `ModelCaches`, ...), so what a module may touch
is visible in its signature and a new backend or layer can be added role by role. The
composition root (services/server/backends.py) still builds one adapter per backend that
plays every role. Adapters (memory.py, postgres/) pass the contract suite in
tests/integration/storage_contract/, one module per role. They translate driver errors into
services.domain.errors (StorageUnavailable when the backend cannot be reached).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

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
from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    FileSymbols,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
)


class Backend(Protocol):
    """The connection to one backend. Every role's methods are safe to call concurrently."""

    name: str  # "memory" or "postgres", for logs and stats

    async def open(self) -> None:
        """Connect and apply migrations. Raises StorageUnavailable when unreachable."""

    async def close(self) -> None:
        """Release connections. Idempotent."""

    async def ping(self) -> None:
        """Cheap round trip for health checks; raises StorageUnavailable when down."""


class Workspaces(Protocol):
    """The indexed roots, by id."""

    async def upsert_workspace(self, workspace: Workspace) -> Workspace:
        """Create the workspace or return the stored one with the same id."""

    async def get_workspace(self, workspace_id: str) -> Workspace | None: ...

    async def list_workspaces(self) -> list[Workspace]:
        """All workspaces, sorted by id."""

    async def delete_workspace(self, workspace_id: str) -> bool:
        """Remove the workspace and every row of its data (files, chunks, postings, term
        statistics, jobs), one transaction per table, the workspace's own row last, so an
        interrupted delete can be retried; other workspaces and the model caches (shared by
        content hash) are untouched. The caller stops the workspace's jobs first. Returns
        False when no such workspace was registered."""


class Files(Protocol):
    """Each workspace's file records and their chunks: written a whole file at a time."""

    async def replace_file(self, workspace_id: str, file: FileRecord,
                           chunks: Sequence[Chunk], symbols: FileSymbols | None = None) -> None:
        """Atomically replace a file's record, all its chunks and its symbols.

        A concurrent reader sees either the old record, chunks and symbols or the new ones,
        never a mix; the file record is never visible without its chunks and symbols. None
        stores no symbols for the file (its old ones go).
        """

    async def delete_files(self, workspace_id: str, paths: Iterable[str]) -> int:
        """Remove files with their chunks and symbols; returns how many files were removed."""

    async def get_file(self, workspace_id: str, path: str) -> FileRecord | None: ...

    async def list_files(self, workspace_id: str) -> list[FileRecord]:
        """All file records of a workspace, sorted by path."""

    async def get_files(self, workspace_id: str,
                        paths: Iterable[str]) -> dict[str, FileRecord]:
        """The records of those `paths` that are indexed, by path (one round trip)."""

    async def get_chunks(self, workspace_id: str, path: str) -> list[Chunk]:
        """A file's chunks in text order (by start line, then start column: the pieces of a
        long line share its number), with embeddings."""

    def iter_chunks(self, workspace_id: str,
                    batch_size: int = 1000) -> AsyncIterator[list[Chunk]]:
        """Every chunk of a workspace, in batches of up to `batch_size`, ordered by path and
        start line, without embeddings (for whole-index passes such as the overview's).

        Each batch is consistent in itself; files replaced during the pass may show either
        version.
        """

    async def stats(self, workspace_id: str) -> StorageStats: ...


class ChunkSearch(Protocol):
    """The best chunks of a workspace for a query, by words or by meaning."""

    async def search_lexical(self, workspace_id: str, query: str, limit: int,
                             filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        """Best `limit` chunks by full-text relevance (best first); [] for a query of no terms.

        Whitespace separates the query's words; `|` joins alternative forms of one word, the
        first as written (`returns|return`). Any term may match, except that PostgreSQL,
        once its statistics call some terms common (in more than 0.2% of the chunks), lets
        common terms rank but not match on their own (postgres/lexical.py).
        """

    async def search_semantic(self, workspace_id: str, vector: Sequence[float], limit: int,
                              filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        """Nearest `limit` chunks by cosine similarity (score = 1 - distance, best first).

        Only chunks whose embedding has the query's dimension take part.
        """


class Symbols(Protocol):
    """Each file's definitions, references and imports, as Files.replace_file stored them.

    Records come back with `path` filled in. Lists are ordered by path (byte order), then
    line (definitions: start line, then qualified name; references: line, then column).
    """

    async def find_definitions(self, workspace_id: str, match: DefinitionMatch,
                               limit: int, offset: int = 0) -> list[SymbolDefinition]:
        """The definitions `match` selects, from `offset`, at most `limit` of them."""

    async def find_references(self, workspace_id: str, names: Iterable[str],
                              paths: Iterable[str] = ()) -> list[SymbolReference]:
        """Every reference whose name is one of `names` (in `paths` only, when given)."""

    async def get_symbols(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, FileSymbols]:
        """The whole symbols of those files that are indexed, by path (empty FileSymbols for
        a file stored without)."""

    async def get_imports(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, list[ImportBinding]]:
        """The import bindings of those files, by path (files without imports left out)."""

    async def line_texts(self, workspace_id: str,
                         lines: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The indexed text of each (path, line), from the file's chunks, in one read (a long
        line split into pieces gives its first piece); lines not indexed are left out."""


class ChunkLayers(Protocol):
    """Later layers upgrade a stored file's chunks in place: one transaction per file per
    layer, never removing a chunk, and never over a newer version of the file.

    Each call names the version it upgrades by the file's content hash; when the stored file
    is gone or has another hash (it changed since the work began), nothing is written and the
    call returns False. Chunk ids not stored for the file are ignored.
    """

    async def set_embeddings(self, workspace_id: str, path: str, content_hash: str,
                             vectors: Mapping[str, Sequence[float]]) -> bool:
        """Set the embeddings of the file's chunks (by chunk id) and mark `vectors` done."""

    async def set_descriptions(self, workspace_id: str, path: str, content_hash: str,
                               summary: str, described: Mapping[str, Enrichment],
                               vectors: Mapping[str, Sequence[float]]) -> bool:
        """Set the file's summary and its chunks' descriptions, and the embeddings of the
        described text when `vectors` is not empty; mark `descriptions` done (and `vectors`
        with them when given)."""

    async def vector_coverage(self, workspace_id: str) -> tuple[int, int]:
        """(chunks with an embedding, all chunks) of the workspace: how much of the index a
        semantic search sees. Cheap when every file has its vectors (asked per search)."""


class ModelCaches(Protocol):
    """What a model made for a text (description, vector), keyed by (content hash, model):
    the same text is never sent to the same model twice, whichever file holds it."""

    async def get_enrichments(self, model: str,
                              hashes: Iterable[str]) -> dict[str, Enrichment]: ...

    async def put_enrichments(self, model: str, items: Mapping[str, Enrichment]) -> None: ...

    async def get_embeddings(self, model: str,
                             hashes: Iterable[str]) -> dict[str, tuple[float, ...]]: ...

    async def put_embeddings(self, model: str,
                             items: Mapping[str, Sequence[float]]) -> None: ...


class Jobs(Protocol):
    """Ingest jobs: their records and which process runs each workspace's one live job."""

    async def save_job(self, job: IngestJob) -> None:
        """Insert or update the job by id.

        Refreshes `heartbeat_at` to the storage's clock while the job is unfinished, and never
        clears `cancel_requested` once set (a cancel made elsewhere must not be overwritten).
        Saving a job this storage claimed as finished ends the claim.
        """

    async def claim_job(self, job: IngestJob,
                        stale_after: timedelta) -> tuple[IngestJob, bool]:
        """Save `job` as its workspace's one running ingest, unless another is live.

        Atomic across processes. Live means unfinished, with a heartbeat newer than
        `stale_after`, and (PostgreSQL) claimed by a process that is still running: the
        claimant holds the claim until it saves the job finished or closes the storage, and a
        process that dies (also by `kill -9`) loses it at once. Other unfinished jobs are
        marked failed ("interrupted") first. Returns (the live job, False) or (job as saved,
        True). Memory storage lives in one process, so its claims need no owner check.
        """

    async def request_cancel(self, job_id: str) -> None:
        """Set the job's `cancel_requested` flag (no effect on a finished job)."""

    async def get_job(self, job_id: str) -> IngestJob | None: ...

    async def find_job_by_request_id(self, workspace_id: str,
                                     request_id: str) -> IngestJob | None: ...

    async def list_jobs(self, workspace_id: str, limit: int,
                        after_job_id: str = "") -> list[IngestJob]:
        """Newest first; `after_job_id` (the last job of the previous page) starts the next page."""


class Leases(Protocol):
    """The LLM lease: one per storage, expiry decided by the storage's clock."""

    async def acquire_lease(self, holder: str, ttl: timedelta,
                            lease_id: str) -> tuple[Lease, bool]:
        """Take the lease if it is free or expired.

        Returns (current lease, True) when taken by this call with a fencing token greater
        than any issued before, or (the other holder's live lease, False) on contention.
        """

    async def renew_lease(self, lease_id: str, ttl: timedelta) -> Lease | None:
        """Extend the live lease with this id to now + ttl; None when it is not live."""

    async def release_lease(self, lease_id: str) -> bool:
        """Free the live lease with this id; False when it is not the live lease."""

    async def current_lease(self) -> Lease | None:
        """The live lease, or None when free or expired."""

    async def last_lease(self) -> Lease | None:
        """The most recently issued lease, live or not (None if none was ever issued).

        A released lease reports an `expires_at` in the past.
        """

    def lease_changes(self) -> AsyncIterator[None]:
        """Yields after each acquire, renew or release made through any process sharing this
        storage. A wake-up hint only (expiry by time is not announced); raises
        StorageUnavailable when the backend connection is lost."""


class Storage(Backend, Workspaces, Files, ChunkLayers, ChunkSearch, Symbols, ModelCaches,
              Jobs, Leases, Protocol):
    """Every role: what one adapter per backend provides to the composition root."""
