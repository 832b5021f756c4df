"""The same index ranks the same way on both backends: lexical search over real code (the
installed `rich`, `click` and `markdown_it`, parsed by the real parser) asked 200+ queries
(identifiers and first docstring sentences), on memory and on PostgreSQL."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import rich

from services.domain import bm25
from services.domain.models import Chunk, FileRecord, content_hash
from services.ingestor.chunking import parse_to_chunks
from services.knowledge.query_terms import lexical_query
from services.storage.memory.adapter import MemoryStorage
from services.storage.memory.bm25 import Bm25Index
from services.storage.postgres import lexical
from services.storage.postgres.adapter import PostgresStorage
from services.workspace_files.languages import language_for
from tests.support.bm25_statistics import assert_statistics_match_postings

pytestmark = pytest.mark.postgres

PACKAGES = ("rich", "click", "markdown_it")
_DOCSTRING = re.compile(r'(?:def|class)\s+\w+[^\n]*:\s*\n\s*[rbu]?("""|\'\'\')\s*(.+?)(?:\n|\1)')
WORKSPACE = "parity"


def real_files() -> list[tuple[FileRecord, list[Chunk]]]:
    site = Path(rich.__file__).parent.parent
    files = []
    for package in PACKAGES:
        for path in sorted((site / package).rglob("*.py")):
            rel = path.relative_to(site).as_posix()
            text = path.read_text(encoding="utf-8")
            chunks = parse_to_chunks(rel, text, language_for(rel))
            if chunks:
                files.append((FileRecord(path=rel, content_hash=content_hash(text),
                                         size_bytes=len(text), mtime_ns=0,
                                         language=language_for(rel)), chunks))
    return files


def queries(files, count: int = 300) -> list[tuple[str, str]]:
    """(query, id of the chunk it came from): function names as written, and the first
    sentence of their docstrings, in a fixed random order."""
    found = []
    for _, chunks in files:
        for chunk in chunks:
            if chunk.kind in ("function", "method") and chunk.symbol:
                found.append((chunk.symbol.rsplit(".", 1)[-1], chunk.id))
                match = _DOCSTRING.search(chunk.text)
                if match and len(match[2].split()) >= 3:
                    found.append((match[2].strip().rstrip("\"'").strip(), chunk.id))
    random.Random(5).shuffle(found)
    distinct: dict[str, str] = {}
    for text, chunk_id in found:
        distinct.setdefault(text, chunk_id)
    return list(distinct.items())[:count]


def reciprocal_rank(ranked: list[str], answer: str) -> float:
    return next((1.0 / rank for rank, i in enumerate(ranked[:10], 1) if i == answer), 0.0)


async def compare(memory, postgres, asked: list[tuple[str, str]]) -> dict[str, float]:
    overlaps, mrr = [], {"memory": 0.0, "postgres": 0.0}
    for text, answer in asked:
        words = lexical_query(text)  # what Searcher hands storage
        mem = [h.chunk.id for h in await memory.search_lexical(WORKSPACE, words, 10)]
        pg = [h.chunk.id for h in await postgres.search_lexical(WORKSPACE, words, 10)]
        assert pg or not mem, f"empty on PostgreSQL, not in memory: {text!r}"
        if mem:
            overlaps.append(len(set(mem) & set(pg)) / len(mem))
        mrr["memory"] += reciprocal_rank(mem, answer) / len(asked)
        mrr["postgres"] += reciprocal_rank(pg, answer) / len(asked)
    return {"overlap": sum(overlaps) / len(overlaps), **mrr}


def test_both_backends_use_the_one_bm25_rule():
    """Memory's index defaults to services/domain/bm25.py's constants, and PostgreSQL's stored
    impacts (a generated column: its SQL cannot import them) were written with the same."""
    index = Bm25Index()
    assert (index._k1, index._b) == (bm25.K1, bm25.B)
    sql = (Path(lexical.__file__).parent / "migrations" / "006_impact_ordered_postings.sql")
    formula = re.search(r"tf::float8 \+ ([\d.]+)::float8 \* \(1\.0::float8 - ([\d.]+)::float8"
                        r"\s*\+ ([\d.]+)::float8 \* length::float8 / ([\d.]+)::float8",
                        sql.read_text(encoding="utf-8"))
    assert formula is not None
    k1, b, b_again, reference = map(float, formula.groups())
    assert (k1, b, b_again, reference) == (bm25.K1, bm25.B, bm25.B, lexical.REFERENCE_LENGTH)


async def test_both_backends_rank_the_same_index_the_same_way(pg_dsn):
    files = real_files()
    assert len(files) >= 150
    asked = queries(files)
    assert len(asked) >= 200
    memory, postgres = MemoryStorage(), PostgresStorage(pg_dsn)
    await postgres.open()
    try:
        for backend in (memory, postgres):
            for record, chunks in files:
                await backend.replace_file(WORKSPACE, record, chunks)
        figures = await compare(memory, postgres, asked)
        assert figures["overlap"] >= 0.9, figures
        assert abs(figures["memory"] - figures["postgres"]) <= 0.01, figures
        await assert_statistics_match_postings(pg_dsn, WORKSPACE)

        # Deleting and rewriting files keeps the statistics, and so the rankings, in step.
        gone = [record.path for record, _ in files[::7]]
        rewritten = [(record, chunks[: len(chunks) // 2]) for record, chunks in files[3::11]]
        for backend in (memory, postgres):
            assert await backend.delete_files(WORKSPACE, gone) == len(gone)
            for record, chunks in rewritten:
                await backend.replace_file(WORKSPACE, record, chunks)
        await assert_statistics_match_postings(pg_dsn, WORKSPACE)
        figures = await compare(memory, postgres, asked[:100])
        assert figures["overlap"] >= 0.9, figures
        assert abs(figures["memory"] - figures["postgres"]) <= 0.01, figures
    finally:
        await postgres.close()
