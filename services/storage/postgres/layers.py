"""The ChunkLayers role in PostgreSQL: later layers upgrade a stored file's chunks in place.

Each upgrade is one transaction that locks the file row first (as replace_file does), checks
that the stored version is the one upgraded, updates the chunk rows (and, for descriptions,
their lexical documents and term postings: descriptions are searchable words), and records
the layer on the file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace

import asyncpg

from services.domain.models import Enrichment, Layer
from services.domain.terms import lexical_document
from services.storage import checks
from services.storage.postgres import rows, terms
from services.storage.postgres.migrate import ensure_vector_index
from services.storage.postgres.pool import PostgresPool


class PostgresChunkLayers(PostgresPool):
    def __init__(self, dsn: str, **options: float) -> None:
        super().__init__(dsn, **options)
        self._indexed_dimensions: set[int] = set()

    async def _ensure_vector_indexes(self, conn: asyncpg.Connection,
                                     dimensions: Iterable[int]) -> None:
        """Outside any transaction: creating an index locks the chunks table."""
        for n in set(dimensions) - self._indexed_dimensions:
            await ensure_vector_index(conn, n)
            self._indexed_dimensions.add(n)

    async def vector_coverage(self, workspace_id: str) -> tuple[int, int]:
        async with self._connection() as conn:
            # The BM25 totals count the chunks already; the embedded ones are counted only
            # while some file still lacks its vectors.
            row = await conn.fetchrow(
                "SELECT coalesce((SELECT chunks FROM lexical_totals WHERE workspace_id = $1), 0) "
                "AS chunks, EXISTS (SELECT 1 FROM files WHERE workspace_id = $1 "
                "AND NOT ('vectors' = ANY(layers))) AS partial", workspace_id)
            if not row["partial"]:
                return row["chunks"], row["chunks"]
            embedded = await conn.fetchval("SELECT count(embedding) FROM chunks "
                                           "WHERE workspace_id = $1", workspace_id)
        return embedded, row["chunks"]

    async def set_embeddings(self, workspace_id: str, path: str, content_hash: str,
                             vectors: Mapping[str, Sequence[float]]) -> bool:
        async def write(conn: asyncpg.Connection, checked: Vectors) -> None:
            await conn.executemany(
                "UPDATE chunks SET embedding = $4 WHERE workspace_id = $1 AND path = $2 "
                "AND id = $3", [(workspace_id, path, key, list(v)) for key, v in checked.items()])
            await _add_layers(conn, workspace_id, path, [Layer.VECTORS], None)

        return await self._upgrade(workspace_id, path, content_hash, vectors, write)

    async def set_descriptions(self, workspace_id: str, path: str, content_hash: str,
                               summary: str, described: Mapping[str, Enrichment],
                               vectors: Mapping[str, Sequence[float]]) -> bool:
        async def write(conn: asyncpg.Connection, checked: Vectors) -> None:
            old = await conn.fetch(
                f"SELECT {rows.CHUNK_COLUMNS_NO_EMBEDDING}, lexical FROM chunks "
                "WHERE workspace_id = $1 AND path = $2", workspace_id, path)
            updates, removed, added = [], [], []
            for row in old:
                chunk = rows.chunk(row)
                if (enrichment := described.get(chunk.id)) is not None:
                    chunk = replace(chunk, description=enrichment.description,
                                    purpose=enrichment.purpose)
                document = lexical_document(chunk)
                vector = checked.get(chunk.id)
                updates.append((workspace_id, path, chunk.id, chunk.description,
                                chunk.purpose, document, None if vector is None else list(vector)))
                if document != row["lexical"]:
                    removed.append((chunk.id, row["lexical"]))
                    added.append((chunk.id, document))
            await conn.executemany(
                "UPDATE chunks SET description = $4, purpose = $5, lexical = $6, "
                "embedding = coalesce($7, embedding) "
                "WHERE workspace_id = $1 AND path = $2 AND id = $3", updates)
            await terms.update(conn, workspace_id, removed, added)
            layers = [Layer.DESCRIPTIONS, Layer.VECTORS] if vectors else [Layer.DESCRIPTIONS]
            await _add_layers(conn, workspace_id, path, layers, summary)

        return await self._upgrade(workspace_id, path, content_hash, vectors, write)

    async def _upgrade(self, workspace_id: str, path: str, content_hash: str,
                       vectors: Mapping[str, Sequence[float]],
                       write: Callable[[asyncpg.Connection, Vectors], Awaitable[None]]) -> bool:
        """`write` in one transaction holding the file row, when it is still that version."""
        checked = _checked(vectors)
        async with self._connection() as conn:
            await self._ensure_vector_indexes(conn, map(len, checked.values()))
            async with conn.transaction():
                if not await _lock_version(conn, workspace_id, path, content_hash):
                    return False
                await write(conn, checked)
        return True


Vectors = dict[str, tuple[float, ...]]  # chunk id -> embedding, as float32 values


def _checked(vectors: Mapping[str, Sequence[float]]) -> Vectors:
    return {key: checks.vector(v, f"the embedding of chunk {key}") for key, v in vectors.items()}


async def _lock_version(conn: asyncpg.Connection, workspace_id: str, path: str,
                        content_hash: str) -> bool:
    """Lock the file row; False when the file is gone or is another version now."""
    stored = await conn.fetchval("SELECT content_hash FROM files WHERE workspace_id = $1 "
                                 "AND path = $2 FOR UPDATE", workspace_id, path)
    if stored != content_hash:
        return False
    await conn.execute("SET LOCAL synchronous_commit = off")  # as replace_file: derived data
    return True


async def _add_layers(conn: asyncpg.Connection, workspace_id: str, path: str,
                      layers: Sequence[Layer], summary: str | None) -> None:
    await conn.execute(
        "UPDATE files SET layers = ARRAY(SELECT DISTINCT x FROM unnest(layers || $3::text[]) x "
        "ORDER BY x), summary = coalesce($4, summary) WHERE workspace_id = $1 AND path = $2",
        workspace_id, path, [str(x) for x in layers], summary)
