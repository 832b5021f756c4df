"""Latency of the symbol-graph RPCs over gRPC on an index of about 100,000 chunks of real
Python files, memory and PostgreSQL, beside an empty RPC in the same run.

    .venv/bin/python -m bench.symbol_queries [--chunks 100000] [--queries 300]
                                             [--backends memory,postgres]

The files (standard library, then site-packages) are parsed with symbols in two processes
and stored as the pipeline stores them (chunks and symbols in one replace_file). One client
then asks, one request at a time, FindReferences of functions and methods sampled with a
fixed seed (by qualified name and path, the default page of 100), FindSymbols by their
bare name, and GetCallGraph (callers, depth 2); health Check is the baseline. Targets
(issue #16): FindReferences p50 <= 10 ms in memory, <= 30 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from grpc_health.v1 import health_pb2

from bench.workloads import parsed_sources, say, timed
from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import FileRecord, Workspace, content_hash, workspace_id_for
from services.ingestor.chunking import ChunkedFile, parse_to_file
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from services.workspace_files.languages import language_for
from tests.support.grpc_server import running_server
from tests.support.postgres import temporary_postgres

TARGETS = {"memory": 10.0, "postgres": 30.0}  # FindReferences p50, ms


def _parse(args: tuple[str, str]) -> tuple[FileRecord, ChunkedFile] | None:
    rel, path = args
    try:
        data = Path(path).read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    parsed = parse_to_file(rel, text, language_for(rel))
    record = FileRecord(path=rel, content_hash=content_hash(data), size_bytes=len(data),
                        mtime_ns=0, language=language_for(rel))
    return (record, parsed) if parsed.chunks else None


def build(target_chunks: int) -> list[tuple[FileRecord, ChunkedFile]]:
    return parsed_sources(_parse, lambda parsed: len(parsed[1].chunks), target_chunks)


def sample_definitions(files, count: int) -> list[tuple[str, str, str]]:
    """(qualified name, path, name) of functions and methods some file refers to by name."""
    used = {r.name for _, parsed in files for r in parsed.symbols.references}
    found = [(d.qualified_name, record.path, d.name) for record, parsed in files
             for d in parsed.symbols.definitions
             if d.kind in ("function", "method") and d.name in used
             and not d.name.startswith("__")]
    return random.Random(5).sample(found, min(count, len(found)))


async def timed_calls(call, requests) -> list[float]:
    took = []
    for request in requests:
        start = time.perf_counter()
        await call(request)
        took.append((time.perf_counter() - start) * 1000)
    return took


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def measure(backend: str, storage, files, picks) -> None:
    with tempfile.TemporaryDirectory() as root:
        workspace = Workspace(id=workspace_id_for(root), root=root)
        await storage.upsert_workspace(workspace)
        semaphore = asyncio.Semaphore(4)

        async def one(record, parsed) -> None:
            async with semaphore:
                await storage.replace_file(workspace.id, record, parsed.chunks, parsed.symbols)

        with timed() as took:
            await asyncio.gather(*(one(r, c) for r, c in files))
            if isinstance(storage, PostgresStorage):
                async with storage._connection() as conn:  # what autovacuum does soon after
                    await conn.execute("VACUUM ANALYZE")
        say(f"{backend}: persisted in {took[0]:.0f} s")
        async with running_server(storage, Path(root)) as server:
            k = server.knowledge
            rows = {
                "health Check (baseline)": await timed_calls(
                    server.health.Check, [health_pb2.HealthCheckRequest()] * len(picks)),
                "FindReferences (definition)": await timed_calls(k.FindReferences, [
                    pb.FindReferencesRequest(qualified_name=q, path=path)
                    for q, path, _ in picks]),
                "FindSymbols (name)": await timed_calls(k.FindSymbols, [
                    pb.FindSymbolsRequest(name=name) for _, _, name in picks]),
                "GetCallGraph (callers, depth 2)": await timed_calls(k.GetCallGraph, [
                    pb.GetCallGraphRequest(qualified_name=q, path=path)
                    for q, path, _ in picks]),
            }
    for label, values in rows.items():
        say(f"{backend:<9} {label:<34} p50 {statistics.median(values):7.2f} ms"
            f"  p90 {p(values, 90):7.2f} ms  p99 {p(values, 99):7.2f} ms")
    p50 = statistics.median(rows["FindReferences (definition)"])
    say(f"{backend}: FindReferences p50 {p50:.2f} ms (target <= {TARGETS[backend]:g}) "
        f"{'met' if p50 <= TARGETS[backend] else 'MISSED'}")


async def main(args: argparse.Namespace) -> None:
    with timed() as took:
        files = build(args.chunks)
    chunks = sum(len(parsed.chunks) for _, parsed in files)
    definitions = sum(len(parsed.symbols.definitions) for _, parsed in files)
    references = sum(len(parsed.symbols.references) for _, parsed in files)
    say(f"{len(files):,} files, {chunks:,} chunks, {definitions:,} definitions, "
        f"{references:,} references (parsed in {took[0]:.0f} s)")
    picks = sample_definitions(files, args.queries)
    for backend in args.backends.split(","):
        if backend == "memory":
            await measure(backend, MemoryStorage(), files, picks)
            continue
        with temporary_postgres("symbols") as server:
            storage = PostgresStorage(await asyncio.to_thread(server.create_database, "bench"))
            await storage.open()
            try:
                await measure(backend, storage, files, picks)
            finally:
                await storage.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", default="memory,postgres")
    asyncio.run(main(parser.parse_args()))
