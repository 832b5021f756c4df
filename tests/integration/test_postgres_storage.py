"""What only the PostgreSQL adapter promises: migrations, its indexes, and text handling that
agrees with the memory adapter's (tokens and globs are read by PostgreSQL there)."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.errors import InvalidArgument
from services.domain.models import Chunk, FileRecord
from services.domain.path_glob import glob_to_regex
from services.domain.terms import lexical_document
from services.storage.postgres.adapter import PostgresStorage, semantic_sql
from services.storage.postgres.migrate import migrations, vector_index_name

pytestmark = pytest.mark.postgres


@pytest.fixture
async def conn(pg_dsn):
    connection = await asyncpg.connect(pg_dsn)
    yield connection
    await connection.close()


async def test_concurrent_opens_apply_each_migration_once(pg_dsn, conn):
    stores = [PostgresStorage(pg_dsn) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    await asyncio.gather(*(s.close() for s in stores))
    versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in migrations()]


async def test_semantic_search_can_use_the_dimension_index(pg_dsn, conn):
    store = PostgresStorage(pg_dsn)
    await store.open()
    try:
        chunks = [Chunk(id=f"c{i}", path="v.py", start_line=i, end_line=i, symbol="",
                        kind="lines", language="python", text=f"v{i}", content_hash=f"h{i}",
                        embedding=(1.0, i / 10, 0.5)) for i in range(1, 20)]
        record = FileRecord(path="v.py", content_hash="h", size_bytes=1, mtime_ns=1,
                            language="python")
        await store.replace_file("w", record, chunks)
        assert len(await store.search_semantic("w", [1.0, 0.0, 0.0], 5)) == 5
    finally:
        await store.close()

    # Tiny tables are scanned; forbid that to see that the query can use the index at all.
    await conn.execute("SET enable_seqscan = off")
    plan = "\n".join(r[0] for r in await conn.fetch(
        "EXPLAIN " + semantic_sql(3, ""), "w", "[1,0,0]", 5))
    assert vector_index_name(3) in plan, plan


async def test_lexemes_are_exactly_the_tokens(conn):
    """PostgreSQL's 'simple' parser must neither split nor merge the adapter's tokens."""
    text = ("def replaceFile(self, path):  # HTTPServer utf8 base64Encode 0x1F 1e5 v1.2 "
            "ПриветМир naïve_value __init__ services/storage/port.py a-b x@y.z 'quoted'")
    chunk = Chunk(id="c", path="src/mod.py", start_line=1, end_line=1, symbol="Mod.run",
                  kind="method", language="python", text=text, content_hash="h")
    document = lexical_document(chunk)
    lexemes = await conn.fetchval("SELECT tsvector_to_array(to_tsvector('simple', $1))",
                                  document)
    assert sorted(lexemes) == sorted(set(document.split()))
    assert {"replacefile", "replace", "file", "httpserver", "приветмир"} <= set(lexemes)


# Small alphabets make collisions between glob syntax and path characters likely.
_GLOB_CHARS = st.sampled_from(list("ab.-_/*?[]!^\\+(){}$|é"))
_PATH_CHARS = st.sampled_from(list("ab.-_/+(){}$|[]é\n"))


@settings(max_examples=300, deadline=None)
@given(glob=st.text(_GLOB_CHARS, min_size=1, max_size=10),
       paths=st.lists(st.text(_PATH_CHARS, min_size=1, max_size=12), min_size=1, max_size=5))
def test_glob_regex_means_the_same_in_python_and_postgres(glob_conn, glob, paths):
    try:
        regex = glob_to_regex(glob)
    except InvalidArgument:  # a reversed range; both engines would reject it
        return
    # The glob's own text often matches it; a trailing newline tells `$` from `\Z`.
    paths = [*paths, glob, glob.replace("*", "ab"), *(p + "\n" for p in paths), glob + "\n"]
    python = [re.match(regex, p) is not None for p in paths]
    postgres = glob_conn.run("SELECT array_agg(p ~ $2 ORDER BY i) FROM "
                             "unnest($1::text[]) WITH ORDINALITY AS t(p, i)", paths, regex)
    assert python == postgres, (glob, regex)


@pytest.fixture(scope="module")
def glob_conn(embedded_pg):
    """A synchronous query runner: Hypothesis drives plain functions, not coroutines."""
    loop = asyncio.new_event_loop()
    connection = loop.run_until_complete(asyncpg.connect(embedded_pg.dsn()))

    class Runner:
        @staticmethod
        def run(sql, *args):
            return loop.run_until_complete(connection.fetchval(sql, *args))

    yield Runner
    loop.run_until_complete(connection.close())
    loop.close()



async def test_lexical_ranks_by_bm25_whatever_the_statistics_say(pg_dsn, conn):
    store = PostgresStorage(pg_dsn)
    await store.open()
    try:
        chunks = [Chunk(id=f"c{i}", path="m.py", start_line=i, end_line=i, symbol="",
                        kind="lines", language="python",
                        text=f"common filler{i}" + (" rare" if i in (300, 700) else "")
                        + (" other" if i % 50 == 25 else ""), content_hash=f"h{i}")
                 for i in range(1, 1001)]
        record = FileRecord(path="m.py", content_hash="h", size_bytes=1, mtime_ns=1,
                            language="python")
        await store.replace_file("w", record, chunks)
        await conn.execute("ANALYZE chunks")  # PostgreSQL's statistics decide nothing
        # Any term matches; the chunks holding the rare word rank first.
        rare = await store.search_lexical("w", "common rare", 50)
        assert len(rare) == 50
        assert sorted(h.chunk.id for h in rare[:2]) == ["c300", "c700"]
        # The chunks holding both words first (in path and line order: equal scores).
        both = await store.search_lexical("w", "common|nothing other", 50)
        assert [h.chunk.id for h in both[:20]] == [f"c{i}" for i in range(25, 1001, 50)]
        assert len(both) == 50
    finally:
        await store.close()
