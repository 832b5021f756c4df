"""Search latency and throughput over gRPC on an index of about 100,000 chunks, memory and
PostgreSQL, beside the gRPC framework's own cost measured in the same run.

    .venv/bin/python -m bench.search [--chunks 100000] [--clients 8] [--seconds 10]

The index: real source files (the standard library, then site-packages, as bench/ingest.py
uses) split by the real parser and persisted with `storage.replace_file`, without
embeddings: embedding 100,000 chunks with the local model takes far longer than this
benchmark should on a small machine, so searches are lexical (a hybrid search over an index
without vectors answers lexically too, through the same code).

The queries: symbol names and first docstring sentences of the indexed functions, in a
fixed random order, so every run asks the same things.

For each backend a server runs in this process and the clients in another one: `--clients`
concurrent callers, each sending its next request as soon as the last one answered, for
`--seconds` after a short warm-up. Baseline: the same clients calling health Check, an
empty RPC, against the same server in the same run. Prints p50 and p99 latency and requests
per second for both, and their ratios. Targets: Search p50 <= 10 ms in memory and <= 30 ms
on PostgreSQL, at least 500 searches per second in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.workloads import python_sources, say, timed
from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from services.domain.models import Chunk, FileRecord, Workspace, content_hash, workspace_id_for
from services.ingestor.languages import language_for
from services.ingestor.pipeline import parse_to_chunks
from services.storage.memory import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import running_server

_DOCSTRING = re.compile(r'(?:def|class)\s+\w+[^\n]*:\s*\n\s*[rbu]?("""|\'\'\')\s*(.+?)(?:\n|\1)')


def _parse_file(args: tuple[str, str]) -> tuple[str, str, list[Chunk]] | None:
    rel, path = args
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return rel, text, parse_to_chunks(rel, text, language_for(rel))


def build_index(target_chunks: int) -> list[tuple[FileRecord, list[Chunk]]]:
    """Real files parsed into chunks (two processes) until about `target_chunks` exist."""
    files: list[tuple[FileRecord, list[Chunk]]] = []
    total = 0
    jobs = ((f"{'stdlib' if 'site-packages' not in str(p) else 'site'}/"
             f"{p.relative_to(root).as_posix()}", str(p)) for root, p in python_sources())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(os.cpu_count() or 2, mp_context=context) as pool:
        for result in pool.map(_parse_file, jobs, chunksize=16):
            if result is None:
                continue
            rel, text, chunks = result
            if not chunks:
                continue
            data = text.encode()
            record = FileRecord(path=rel, content_hash=content_hash(data),
                                size_bytes=len(data), mtime_ns=0, language=language_for(rel))
            files.append((record, chunks))
            total += len(chunks)
            if total >= target_chunks:
                pool.shutdown(wait=False, cancel_futures=True)
                break
    return files


def make_queries(files: list[tuple[FileRecord, list[Chunk]]], count: int) -> list[str]:
    """Symbol names and first docstring sentences of indexed functions, in a fixed order."""
    found: list[str] = []
    for _, chunks in files:
        for chunk in chunks:
            if chunk.kind not in ("function", "method") or not chunk.symbol:
                continue
            found.append(chunk.symbol.rsplit(".", 1)[-1].replace("_", " ").strip() or
                         chunk.symbol)
            match = _DOCSTRING.search(chunk.text)
            if match and len(match[2].split()) >= 3:
                found.append(match[2].strip().rstrip('"\'').strip())
    rng = random.Random(7)
    rng.shuffle(found)
    return [q for q in found if q.strip()][:count]


async def persist(storage: Storage, workspace: Workspace,
                  files: list[tuple[FileRecord, list[Chunk]]]) -> None:
    await storage.upsert_workspace(workspace)
    semaphore = asyncio.Semaphore(4)

    async def one(record: FileRecord, chunks: list[Chunk]) -> None:
        async with semaphore:
            await storage.replace_file(workspace.id, record, chunks)

    await asyncio.gather(*(one(r, c) for r, c in files))


# --- the clients, in a process of their own --------------------------------------------------

def _client_process(address: str, kind: str, queries: list[str], clients: int,
                    seconds: float, warmup: float, page_size: int) -> tuple[list[float], float]:
    return asyncio.run(_clients(address, kind, queries, clients, seconds, warmup, page_size))


async def _clients(address: str, kind: str, queries: list[str], clients: int, seconds: float,
                   warmup: float, page_size: int) -> tuple[list[float], float]:
    channel = grpc.aio.insecure_channel(address)
    knowledge = pb_grpc.KnowledgeServiceStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    latencies: list[float] = []
    measuring = False
    next_query = 0

    async def one() -> None:
        nonlocal next_query
        if kind == "search":
            query = queries[next_query % len(queries)]
            next_query += 1
            await knowledge.Search(pb.SearchRequest(query=query, mode=pb.SEARCH_MODE_LEXICAL,
                                                    page_size=page_size))
        else:
            await health.Check(health_pb2.HealthCheckRequest())

    async def caller(stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            await one()
            if measuring:
                latencies.append(time.perf_counter() - started)

    start = time.perf_counter()
    await asyncio.gather(*(caller(start + warmup) for _ in range(clients)))
    measuring = True
    begin = time.perf_counter()
    await asyncio.gather(*(caller(begin + seconds) for _ in range(clients)))
    elapsed = time.perf_counter() - begin
    await channel.close()
    return latencies, elapsed


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(storage: Storage, root: Path, queries: list[str], args) -> dict[str, tuple]:
    results = {}
    context = multiprocessing.get_context("spawn")
    async with running_server(storage, root) as server:
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            for kind in ("check", "search"):
                latencies, elapsed = await loop.run_in_executor(
                    pool, _client_process, server.address, kind, queries, args.clients,
                    args.seconds, args.warmup, args.page_size)
                results[kind] = (_percentile(latencies, 0.5) * 1000,
                                 _percentile(latencies, 0.99) * 1000, len(latencies) / elapsed)
    return results


def report(backend: str, results: dict[str, tuple]) -> None:
    check, search = results["check"], results["search"]
    say(f"{backend:<10} {'health Check (baseline)':<26} p50 {check[0]:6.2f} ms  "
        f"p99 {check[1]:6.2f} ms  {check[2]:7.0f} req/s")
    say(f"{backend:<10} {'Search':<26} p50 {search[0]:6.2f} ms  p99 {search[1]:6.2f} ms  "
        f"{search[2]:7.0f} req/s   = {search[0] / check[0]:.1f}x baseline p50, "
        f"{search[2] / check[2]:.2f}x baseline rate")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=10, help="hits per search")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-search-"))
    try:
        with timed() as took:
            files = await asyncio.to_thread(build_index, args.chunks)
        chunks = sum(len(c) for _, c in files)
        queries = make_queries(files, args.queries)
        say(f"index: {len(files)} real files, {chunks} chunks (parsed in {took[0]:.0f} s), "
            f"lexical only; {len(queries)} queries; {args.clients} clients for "
            f"{args.seconds:.0f} s each; {os.cpu_count()} cores")
        root = work / "workspace"  # the server's default workspace; its files are not read
        root.mkdir()
        workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))

        memory = MemoryStorage()
        with timed() as took:
            await persist(memory, workspace, files)
        say(f"memory: persisted in {took[0]:.0f} s")
        report("memory", await measure(memory, root, queries, args))

        if not args.skip_postgres:
            server = EmbeddedPostgres(work / "pg")
            storage = PostgresStorage(await asyncio.to_thread(server.start))
            try:
                await storage.open()
                with timed() as took:
                    await persist(storage, workspace, files)
                    async with storage._connection() as conn:  # fresh statistics for the planner
                        await conn.execute("ANALYZE")
                say(f"postgres: persisted in {took[0]:.0f} s")
                report("postgres", await measure(storage, root, queries, args))
            finally:
                await storage.close()
                await asyncio.to_thread(server.stop)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
