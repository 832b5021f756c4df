"""Search latency and throughput over gRPC on an index of about 100,000 chunks, memory and
PostgreSQL, beside the gRPC framework's own cost measured in the same run.

    .venv/bin/python -m bench.search [--chunks 100000] [--clients 8] [--seconds 10]
                                     [--embedded-chunks 1000] [--backends memory,postgres]

The large index: real source files (the standard library, then site-packages, as
bench/ingest.py uses) split by the real parser and persisted with `storage.replace_file`. Its
chunks carry no embeddings: the local model embeds about 15 chunks a second on a small CPU,
hours for 100,000, so the searches over it are LEXICAL, and the targets are about them.

The small index: `--embedded-chunks` chunks of a fixed sample of the same files, with real
all-MiniLM-L6-v2 vectors, in a storage of its own, searched in HYBRID mode twice: with the
query vectors already cached by the server (each query asked once before the clock starts),
and with every query new, so each request also embeds its query on the server's CPU.

The queries: distinct symbol names and first docstring sentences of the indexed functions,
in a fixed random order, so every run asks the same things.

For each index and backend one server runs in this process and the clients in another one:
`--clients` concurrent callers, each sending its next request as soon as the last one
answered, for `--seconds` after a `--warmup`. Baseline: the same clients calling health
Check, an empty RPC, against the same server in the same run. Every row prints p50 and p99
latency and requests per second, and their ratios to the baseline's. Targets (lexical, large
index): Search p50 <= 10 ms in memory and <= 30 ms on PostgreSQL, at least 500 searches per
second in memory.
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
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.workloads import parsed_sources, say, timed
from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from services.domain.models import Chunk, FileRecord, Workspace, content_hash, workspace_id_for
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.chunking import parse_to_chunks
from services.ingestor.embed import embedding_text
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from services.workspace_files.languages import language_for
from tests.support.grpc_server import running_server
from tests.support.postgres import temporary_postgres

_DOCSTRING = re.compile(r'(?:def|class)\s+\w+[^\n]*:\s*\n\s*[rbu]?("""|\'\'\')\s*(.+?)(?:\n|\1)')

Files = list[tuple[FileRecord, list[Chunk]]]

# The targets, on the lexical searches over the large index: (p50 ms, searches per second).
TARGETS = {"memory": (10.0, 500.0), "postgres": (30.0, None)}


# --- the indexes -------------------------------------------------------------------------

def _parse_file(args: tuple[str, str]) -> tuple[FileRecord, list[Chunk]] | None:
    rel, path = args
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    chunks = parse_to_chunks(rel, text, language_for(rel))
    if not chunks:
        return None
    data = text.encode()
    return FileRecord(path=rel, content_hash=content_hash(data), size_bytes=len(data),
                      mtime_ns=0, language=language_for(rel)), chunks


def build_index(target_chunks: int) -> Files:
    """Real files parsed into chunks (every core) until about `target_chunks` exist."""
    return parsed_sources(_parse_file, lambda parsed: len(parsed[1]), target_chunks)


def sample(files: Files, target_chunks: int, seed: int = 11) -> Files:
    """A fixed random sample of `files` holding about `target_chunks` chunks."""
    picked: Files = []
    for record, chunks in random.Random(seed).sample(files, len(files)):
        if sum(len(c) for _, c in picked) >= target_chunks:
            break
        picked.append((record, chunks))
    return picked


async def embedded(files: Files) -> Files:
    """The files with every chunk embedded by the local model, as the ingest embeds it."""
    texts = [embedding_text(chunk) for _, chunks in files for chunk in chunks]
    vectors = iter(await LocalEmbedder().embed(texts))
    return [(record, [replace(chunk, embedding=tuple(next(vectors))) for chunk in chunks])
            for record, chunks in files]


def make_queries(files: Files, count: int, seed: int = 7) -> list[str]:
    """Distinct symbol names and first docstring sentences of indexed functions, in a fixed
    order. Distinct: a name as frequent as `__init__` would otherwise be asked over and over."""
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
    random.Random(seed).shuffle(found)
    return list(dict.fromkeys(q for q in found if q.strip()))[:count]


async def persist(storage: Storage, workspace: Workspace, files: Files) -> None:
    await storage.upsert_workspace(workspace)
    semaphore = asyncio.Semaphore(4)

    async def one(record: FileRecord, chunks: list[Chunk]) -> None:
        async with semaphore:
            await storage.replace_file(workspace.id, record, chunks)

    await asyncio.gather(*(one(r, c) for r, c in files))


# --- the clients, in a process of their own --------------------------------------------

@dataclass(frozen=True)
class Load:
    """One row of the table: what the clients ask for."""

    label: str
    queries: tuple[str, ...] = ()  # none: health Check, the baseline
    mode: int = pb.SEARCH_MODE_LEXICAL
    prime: bool = False  # ask every query once before the warm-up


BASELINE = Load("health Check (baseline: empty RPC)")


@dataclass(frozen=True)
class Figures:
    p50_ms: float
    p99_ms: float
    rate: float  # requests per second
    repeated: bool  # the run asked some query twice


def _client_process(address: str, load: Load, clients: int, seconds: float, warmup: float,
                    page_size: int) -> tuple[list[float], float, int]:
    return asyncio.run(_clients(address, load, clients, seconds, warmup, page_size))


async def _clients(address: str, load: Load, clients: int, seconds: float, warmup: float,
                   page_size: int) -> tuple[list[float], float, int]:
    """(latencies of the measured requests, measured seconds, requests sent in all)."""
    channel = grpc.aio.insecure_channel(address)
    knowledge = pb_grpc.KnowledgeServiceStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    latencies: list[float] = []
    measuring = False
    sent = 0

    async def one() -> None:
        nonlocal sent
        sent += 1
        if not load.queries:
            await health.Check(health_pb2.HealthCheckRequest())
            return
        query = load.queries[(sent - 1) % len(load.queries)]
        await knowledge.Search(pb.SearchRequest(query=query, mode=load.mode,
                                                page_size=page_size))

    async def caller(stop_at: float, budget: float = float("inf")) -> None:
        while time.perf_counter() < stop_at and sent < budget:
            started = time.perf_counter()
            await one()
            if measuring:
                latencies.append(time.perf_counter() - started)

    if load.prime:
        await asyncio.gather(*(caller(float("inf"), len(load.queries)) for _ in range(clients)))
    start = time.perf_counter()
    await asyncio.gather(*(caller(start + warmup) for _ in range(clients)))
    measuring = True
    begin = time.perf_counter()
    await asyncio.gather(*(caller(begin + seconds) for _ in range(clients)))
    elapsed = time.perf_counter() - begin
    await channel.close()
    return latencies, elapsed, sent


def _load() -> str:
    """The 1-minute load average: what else the machine ran while this measured."""
    return f"load average {os.getloadavg()[0]:.1f}"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- one index on one backend ------------------------------------------------------------

@dataclass
class Setup:
    """One index, in a storage of its own, and what to measure on it (baseline first)."""

    name: str  # also the PostgreSQL database's name
    root: Path  # the server's default workspace; its files are not read
    files: Files
    loads: list[Load] = field(default_factory=list)


StorageFactory = Callable[[str], AbstractAsyncContextManager[Storage]]


async def measure(storage: Storage, setup: Setup,
                  args: argparse.Namespace) -> dict[str, Figures]:
    """Each load in turn against one server over `storage`, the clients in another process."""
    results = {}
    context = multiprocessing.get_context("spawn")
    # The chunks carry sentence-transformers vectors (LocalEmbedder above): queries must match.
    async with running_server(storage, setup.root, EMBEDDING_BACKEND="local-st") as server:
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            for load in setup.loads:
                latencies, elapsed, sent = await loop.run_in_executor(
                    pool, _client_process, server.address, load, args.clients, args.seconds,
                    args.warmup, args.page_size)
                results[load.label] = Figures(
                    _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000,
                    len(latencies) / elapsed, not load.prime and sent > len(load.queries))
    return results


async def run_backend(backend: str, storages: StorageFactory, setups: list[Setup],
                      args: argparse.Namespace) -> dict[str, dict[str, Figures]]:
    """Every setup on one backend: persisted into a new storage, then measured."""
    results = {}
    for setup in setups:
        async with storages(setup.name) as storage:
            workspace = Workspace(id=workspace_id_for(str(setup.root)), root=str(setup.root))
            with timed() as took:
                await persist(storage, workspace, setup.files)
                if isinstance(storage, PostgresStorage):
                    # The state autovacuum reaches a minute or so after a bulk ingest: fresh
                    # planner statistics, and a visibility map that lets searches read
                    # postings from their indexes alone (without it, every posting read also
                    # visits its table row: several times slower, on either search method).
                    async with storage._connection() as conn:
                        await conn.execute("VACUUM ANALYZE")
            say(f"{backend}: {setup.name} index persisted in {took[0]:.0f} s")
            results[setup.name] = await measure(storage, setup, args)
    return results


@asynccontextmanager
async def memory_storages(name: str) -> AsyncIterator[Storage]:
    yield MemoryStorage()


def postgres_storages(server: EmbeddedPostgres) -> StorageFactory:
    """A new database of the embedded server for each setup."""

    @asynccontextmanager
    async def open_one(name: str) -> AsyncIterator[Storage]:
        storage = PostgresStorage(await asyncio.to_thread(server.create_database, name))
        try:
            await storage.open()
            yield storage
        finally:
            await storage.close()

    return open_one


# --- the report ------------------------------------------------------------------------

def table(results: dict[str, dict[str, dict[str, Figures]]], setups: list[Setup]) -> None:
    """One row per backend, index and load, each beside the same server's baseline."""
    say(f"\n{'backend':<9} {'request':<40} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7}"
        f" {'p50/base':>9} {'p99/base':>9} {'rate/base':>10}")
    for backend, by_setup in results.items():
        for setup in setups:
            figures = by_setup[setup.name]
            base = figures[BASELINE.label]
            for load in setup.loads:
                f = figures[load.label]
                # Only a hybrid query asked twice skips its embedding.
                note = ("  (queries repeated: some vectors cached)"
                        if f.repeated and load.mode != pb.SEARCH_MODE_LEXICAL else "")
                say(f"{backend:<9} {load.label:<40} {f.p50_ms:7.2f} {f.p99_ms:7.2f}"
                    f" {f.rate:7.0f} {f.p50_ms / base.p50_ms:8.1f}x"
                    f" {f.p99_ms / base.p99_ms:8.1f}x {f.rate / base.rate:9.2f}x{note}")


def verdicts(backend: str, lexical: Figures) -> list[str]:
    p50_target, rate_target = TARGETS[backend]
    lines = [f"{backend}: lexical Search p50 {lexical.p50_ms:.2f} ms (target <= {p50_target:g})"
             f" {'met' if lexical.p50_ms <= p50_target else 'MISSED'}"]
    if rate_target is not None:
        lines.append(f"{backend}: {lexical.rate:.0f} searches/s (target >= {rate_target:g}) "
                     f"{'met' if lexical.rate >= rate_target else 'MISSED'}")
    return lines


# --- the run ---------------------------------------------------------------------------

async def plan(work: Path, args: argparse.Namespace) -> list[Setup]:
    """The large lexical index and, unless --embedded-chunks is 0, the small hybrid one."""
    with timed() as took:
        files = await asyncio.to_thread(build_index, args.chunks)
    chunks = sum(len(c) for _, c in files)
    queries = make_queries(files, args.queries * 2)
    lexical, new = queries[:args.queries], queries[args.queries:]
    say(f"large index: {chunks} chunks of {len(files)} real files, parsed in {took[0]:.0f} s, "
        f"no vectors; {len(lexical)} lexical queries")
    setups = [Setup("large", work / "large", files,
                    [BASELINE, Load(f"Search lexical, {chunks} chunks", tuple(lexical))])]
    if args.embedded_chunks:
        with timed() as took:
            small = await embedded(sample(files, args.embedded_chunks))
        size = sum(len(c) for _, c in small)
        cached = tuple(make_queries(small, 200))
        say(f"small index: {size} of those chunks with all-MiniLM-L6-v2 vectors, embedded in "
            f"{took[0]:.0f} s; {len(cached)} queries asked twice, {len(new)} new ones")
        setups.append(Setup("small", work / "small", small, [
            BASELINE,
            Load(f"Search hybrid, {size} chunks, cached", cached, pb.SEARCH_MODE_HYBRID,
                 prime=True),
            Load(f"Search hybrid, {size} chunks, new", tuple(new), pb.SEARCH_MODE_HYBRID)]))
    for setup in setups:
        setup.root.mkdir()
    return setups


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--embedded-chunks", type=int, default=1000,
                        help="size of the hybrid index (0: no hybrid rows)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=10, help="hits per search")
    parser.add_argument("--backends", default="memory,postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-search-"))
    try:
        setups = await plan(work, args)
        say(f"{args.clients} clients, {args.warmup:g} s warm-up then {args.seconds:g} s per "
            f"row; {os.cpu_count()} cores, {_load()}")
        backends = args.backends.split(",")
        results = {}
        if "memory" in backends:
            results["memory"] = await run_backend("memory", memory_storages, setups, args)
        if "postgres" in backends:
            with temporary_postgres("bench-search") as server:
                results["postgres"] = await run_backend(
                    "postgres", postgres_storages(server), setups, args)
        table(results, setups)
        say(f"{_load()} at the end: other processes on the machine slow every figure down")
        say("\ntargets (lexical Search over the large index):")
        for backend, by_setup in results.items():
            for line in verdicts(backend, by_setup["large"][setups[0].loads[1].label]):
                say(f"  {line}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
