"""Conversions between domain records and PostgreSQL rows, and the shared SQL fragments."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from pgvector import Vector

from services.domain.models import (
    Chunk,
    FileRecord,
    IngestJob,
    JobState,
    Lease,
    SearchFilters,
    Workspace,
)
from services.domain.path_glob import glob_to_regex
from services.domain.terms import lexical_document
from services.storage import checks

Row = asyncpg.Record

CHUNK_COLUMNS_NO_EMBEDDING = ("id, path, start_line, end_line, symbol, kind, language, text, "
                              "content_hash, description, purpose, start_column")
CHUNK_COLUMNS = f"{CHUNK_COLUMNS_NO_EMBEDDING}, embedding"
FILE_COLUMNS = ("path, content_hash, size_bytes, mtime_ns, language, summary, indexed_at, "
                "layers")
JOB_COLUMNS = ('id, workspace_id, "full", state, request_id, created_at, finished_at, counts, '
               'skipped, message, heartbeat_at, cancel_requested')
LEASE_COLUMNS = "holder, lease_id, fencing_token, expires_at"


def chunk_arrays(chunks: Sequence[Chunk]) -> list[list]:
    """The chunks as the parallel column arrays knowport_replace_file takes (migration 010):
    id, start line, end line, symbol, kind, language, text, content hash, description,
    purpose, embedding (its text form, or None), lexical document, start column."""
    columns: list[list] = [[] for _ in range(13)]
    for c in chunks:
        embedding = None if c.embedding is None else vector_text(c.embedding)
        row = (c.id, c.start_line, c.end_line, c.symbol, c.kind, c.language, c.text,
               c.content_hash, c.description, c.purpose, embedding, lexical_document(c),
               c.start_column)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def vector_text(values: Sequence[float]) -> str:
    """pgvector's text form; repr gives the shortest text that reads back as the same float."""
    return "[" + ",".join(map(repr, values)) + "]"


def documents(found: list[Row]) -> list[tuple[str, str]]:
    """(chunk id, lexical document) of rows holding `id` and `lexical`."""
    return [(r["id"], r["lexical"]) for r in found]


def chunk(row: Row) -> Chunk:
    return Chunk(id=row["id"], path=row["path"], start_line=row["start_line"],
                 end_line=row["end_line"], symbol=row["symbol"], kind=row["kind"],
                 language=row["language"], text=row["text"], content_hash=row["content_hash"],
                 description=row["description"], purpose=row["purpose"],
                 embedding=vector(row.get("embedding")), start_column=row["start_column"])


def vector(value: Vector | None) -> tuple[float, ...] | None:
    return None if value is None else tuple(value.to_list())


def file(row: Row) -> FileRecord:
    return FileRecord(path=row["path"], content_hash=row["content_hash"],
                      size_bytes=row["size_bytes"], mtime_ns=row["mtime_ns"],
                      language=row["language"], summary=row["summary"],
                      indexed_at=row["indexed_at"], layers=frozenset(row["layers"]))


def workspace(row: Row) -> Workspace:
    return Workspace(id=row["id"], root=row["root"], created_at=row["created_at"],
                     name=row["name"])


def job(row: Row) -> IngestJob:
    return IngestJob(id=row["id"], workspace_id=row["workspace_id"], full=row["full"],
                     state=JobState(row["state"]), request_id=row["request_id"],
                     created_at=row["created_at"], finished_at=row["finished_at"],
                     counts=dict(row["counts"]),
                     skipped=[(path, reason) for path, reason in row["skipped"]],
                     message=row["message"], heartbeat_at=row["heartbeat_at"],
                     cancel_requested=row["cancel_requested"])


def job_args(job: IngestJob) -> tuple:
    return (job.id, job.workspace_id, job.full, job.state.value, job.request_id, job.created_at,
            job.finished_at, dict(job.counts), [list(s) for s in job.skipped], job.message,
            job.heartbeat_at, job.cancel_requested)


def lease(row: Row) -> Lease:
    expires_at = row["expires_at"]
    if expires_at.tzinfo is None:  # asyncpg reads '-infinity' (a released lease) as naive
        expires_at = checks.RELEASED_AT
    return Lease(holder=row["holder"], lease_id=row["lease_id"],
                 fencing_token=row["fencing_token"], expires_at=expires_at)


def filter_sql(filters: SearchFilters, args: list) -> str:
    """` AND ...` conditions for the filters, appending their values to `args`."""
    conditions = []

    def add(condition: str, value: str | list[str]) -> None:
        args.append(value)
        conditions.append(" AND " + condition.format(f"${len(args)}"))

    if filters.path_glob:
        add("path ~ {}", glob_to_regex(filters.path_glob))
    if filters.languages:
        add("language = ANY({}::text[])", sorted(set(filters.languages)))
    if filters.kinds:
        add("kind = ANY({}::text[])", sorted(set(filters.kinds)))
    return "".join(conditions)
