"""Argument checks and value normalisation shared by both adapters.

Checking here, before either backend is touched, makes a bad call fail the same way
(InvalidArgument) on both, instead of as a PostgreSQL constraint error on one and silently on
the other.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.domain.errors import InvalidArgument
from services.domain.models import INTERRUPTED_MESSAGE, Chunk, FileRecord, JobState

# What a released lease reports as its expiry, on both backends.
RELEASED_AT = datetime.min.replace(tzinfo=UTC)

MAX_DIMENSIONS = 16_000  # pgvector's limit for the `vector` type


def vector(values: Sequence[float], what: str = "vector") -> tuple[float, ...]:
    """The vector as float32 values, which is what pgvector stores.

    The memory adapter rounds the same way, so an embedding reads back identically from both.
    """
    if not 0 < len(values) <= MAX_DIMENSIONS:
        raise InvalidArgument(f"{what} must have 1 to {MAX_DIMENSIONS} dimensions, "
                              f"not {len(values)}")
    rounded = tuple(array("f", values))
    if not all(math.isfinite(v) for v in rounded):
        raise InvalidArgument(f"{what} holds a value that is not a finite float32")
    return rounded


def replacement(file: FileRecord, chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks of a replace_file call, validated and with float32 embeddings."""
    seen: set[str] = set()
    checked = []
    for chunk in chunks:
        if chunk.path != file.path:
            raise InvalidArgument(f"chunk {chunk.id} belongs to {chunk.path!r}, "
                                  f"not to {file.path!r}")
        if chunk.id in seen:
            raise InvalidArgument(f"chunk id {chunk.id} appears twice in {file.path!r}")
        seen.add(chunk.id)
        if chunk.embedding is not None:
            embedding = vector(chunk.embedding, f"the embedding of chunk {chunk.id}")
            chunk = replace(chunk, embedding=embedding)
        checked.append(chunk)
    return checked


def lease_request(ttl: timedelta, lease_id: str) -> None:
    if ttl <= timedelta(0):
        raise InvalidArgument(f"lease ttl must be positive, not {ttl}", metadata={"field": "ttl"})
    if not lease_id:
        raise InvalidArgument("lease id must not be empty", metadata={"field": "lease_id"})


def unknown_cursor(job_id: str) -> InvalidArgument:
    return InvalidArgument(f"no job {job_id!r} in this workspace to continue the listing after",
                           metadata={"field": "after_job_id"})


def interrupted_job_changes(now: datetime) -> dict[str, object]:
    """How a job whose runner died is recorded, on both backends."""
    return {"state": JobState.FAILED, "message": INTERRUPTED_MESSAGE, "finished_at": now}
