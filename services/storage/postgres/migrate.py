"""Schema migrations, and the HNSW index for each embedding dimension in use.

Migrations are the numbered files in migrations/ (NNN_name.sql), applied in order and recorded
in schema_migrations. All schema changes run in a transaction holding one advisory lock, so two
processes opening the same database at once apply each migration exactly once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"(\d+)_(\w+)\.sql")

# Any fixed 64-bit number that other applications sharing the database are unlikely to use:
# the ASCII bytes of "knowport".
SCHEMA_LOCK = int.from_bytes(b"knowport", "big")

# pgvector's HNSW indexes take vectors of up to 2,000 dimensions; larger ones are searched
# exactly, without an index.
HNSW_MAX_DIMENSIONS = 2000


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise RuntimeError(f"migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Create the vector extension and apply pending migrations; returns the versions applied."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        await conn.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )""")
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in migrations():
            if migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               migration.version, migration.name)
            applied.append(migration.version)
    if applied:
        log.info("applied schema migrations %s", applied)
    return applied


def embedding_expression(dimensions: int) -> str:
    """The indexed expression; a query must use it verbatim for the planner to pick the index."""
    return f"embedding::vector({int(dimensions)})"


def vector_index_name(dimensions: int) -> str:
    return f"chunks_embedding_hnsw_{int(dimensions)}"


async def ensure_vector_index(conn: asyncpg.Connection, dimensions: int) -> None:
    """Create the partial HNSW cosine index for one dimension unless it exists.

    `embedding` has no fixed dimension (models differ), and an index needs one: each dimension
    gets an index over `embedding::vector(n)` limited to rows of that dimension.
    """
    if dimensions > HNSW_MAX_DIMENSIONS:
        return
    name = vector_index_name(dimensions)
    if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await conn.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON chunks USING hnsw "
            f"(({embedding_expression(dimensions)}) vector_cosine_ops) "
            f"WHERE vector_dims(embedding) = {int(dimensions)}")
    log.info("created index %s", name)
