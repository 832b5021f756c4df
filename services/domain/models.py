"""Plain records that flow between the pipeline, retrieval and storage."""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime


def content_hash(data: bytes | str) -> str:
    """The hex SHA-256 used everywhere a content hash is stored or compared."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def chunk_id(path: str, chunk_hash: str, start_line: int, end_line: int,
             start_column: int = 0) -> str:
    """A chunk's id derives from (path, content hash, span): stable across runs and backends.

    The column takes part only when nonzero (a later piece of a line cut into pieces, whose
    content may repeat an earlier piece's), so every other chunk keeps the id it always had.
    """
    column = f"\0{start_column}" if start_column else ""
    return content_hash(f"{path}\0{chunk_hash}\0{start_line}\0{end_line}{column}")[:32]


def workspace_id_for(root: str) -> str:
    """A readable, stable id for a workspace root: its folder name plus a hash of the path."""
    name = re.sub(r"[^a-z0-9]+", "-", root.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-")
    return f"{name[:40] or 'root'}-{content_hash(root)[:8]}"


@dataclass(frozen=True, slots=True)
class Workspace:
    """A repository root the service indexes; `id` is what requests name it by."""

    id: str
    root: str
    created_at: datetime | None = None
    name: str = ""  # a display name given at creation; "" when none was given


class Layer(enum.StrEnum):
    """What an indexed file has been through. `structure` (its chunks, symbols and lexical
    terms) is there as soon as the file is stored; `vectors` and `descriptions` upgrade its
    chunks in place later (services/ingestor/layers.py)."""

    STRUCTURE = "structure"
    VECTORS = "vectors"
    DESCRIPTIONS = "descriptions"


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One indexed file. A file record exists only together with all of its chunks."""

    path: str  # workspace-relative, '/'-separated
    content_hash: str
    size_bytes: int
    mtime_ns: int
    language: str
    summary: str = ""
    indexed_at: datetime | None = None
    # The layers complete for this version of the file (Layer values): a rerun does exactly
    # the missing ones.
    layers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a file: a function, class, method, section, or a run of lines."""

    id: str
    path: str
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    symbol: str  # qualified name, "" when the chunk has none
    kind: str  # "function", "class", "method", "section", "lines", ...
    language: str
    text: str
    content_hash: str  # hash of `text`; the key of the enrichment cache
    description: str = ""
    purpose: str = ""
    embedding: tuple[float, ...] | None = None
    # The code-aware search terms of path, symbol and text, space-joined. Derived data: the
    # parse workers fill it so the storage writer need not tokenize on its one core; when
    # empty, storage computes it (services/domain/terms.py).
    terms: str = field(default="", compare=False, repr=False)
    # 0-based character offset in `start_line` where `text` begins: nonzero only for the
    # later pieces of a line too long for one chunk (services/ingestor/parse.py).
    start_column: int = 0


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Narrowing applied inside storage, before ranking is cut to a limit.

    Empty fields do not filter; a chunk must match the glob, one of the languages and one of
    the kinds.
    """

    path_glob: str = ""
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A search hit from one ranking; higher score is better within that ranking."""

    chunk: Chunk
    score: float
    workspace: str = ""  # the id of the workspace the chunk belongs to, once known


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the LLM wrote about one chunk's content."""

    description: str
    purpose: str


@dataclass(frozen=True, slots=True)
class StorageStats:
    """Counts for one workspace (the seed's /stats)."""

    files: int
    chunks: int
    enriched_chunks: int
    embedded_chunks: int
    total_bytes: int
    languages: dict[str, int] = field(default_factory=dict)  # language -> file count
    layers: dict[str, int] = field(default_factory=dict)  # layer -> files that have it complete


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


# The error of a job whose process stopped before it finished (set by whichever process finds
# it: the storage when a new claim replaces it, the job manager when its heartbeat went stale).
INTERRUPTED_MESSAGE = ("interrupted: the process running it stopped; a new ingest resumes "
                       "where it stopped")


@dataclass(slots=True)
class IngestJob:
    """An ingest run over one workspace; persisted so it survives a restart."""

    id: str
    workspace_id: str
    full: bool
    state: JobState
    request_id: str = ""
    created_at: datetime | None = None
    finished_at: datetime | None = None
    # IngestProgress field name -> value: per-stage file counts, rate, ETA, current file
    counts: dict[str, int | float | str] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    message: str = ""
    # Refreshed by every save of an unfinished job (by the storage's clock); a running job
    # whose heartbeat went stale belongs to a process that died.
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False  # sticky once set; the runner stops at its next snapshot


@dataclass(frozen=True, slots=True)
class Lease:
    """The LLM lock as storage holds it."""

    holder: str
    lease_id: str
    fencing_token: int
    expires_at: datetime
