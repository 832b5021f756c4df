"""FindReferences latency on a large index (about 100,000 chunks) with its symbols.

The index is built as bench/search.py builds its large one (real files, the standard library
then site-packages, parsed by the real parser in a process pool, persisted with
`storage.replace_file`), with each file's symbols stored alongside its chunks. The requests
go one at a time from a client in this process to a server in this process, beside health
Check (an empty RPC) on the same server as the baseline.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from grpc_health.v1 import health_pb2

from bench.workloads import python_sources, say, timed
from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.models import FileRecord, Workspace, content_hash, workspace_id_for
from services.ingestor.chunking import ChunkedFile, parse_to_file
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.workspace_files.languages import language_for
from tests.support.grpc_server import running_server

TARGETS = {"memory": 10.0, "postgres": 30.0}  # p50 ms
WARMUP = 30

Indexed = list[tuple[FileRecord, ChunkedFile]]


def _parse(args: tuple[str, str]) -> tuple[str, bytes, ChunkedFile] | None:
    rel, path = args
    try:
        data = Path(path).read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return rel, data, parse_to_file(rel, text, language_for(rel))


def build_index(target_chunks: int) -> Indexed:
    files: Indexed = []
    total = 0
    jobs = ((f"{'site' if 'site-packages' in str(p) else 'stdlib'}/"
             f"{p.relative_to(root).as_posix()}", str(p)) for root, p in python_sources())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(os.cpu_count() or 2, mp_context=context) as pool:
        for result in pool.map(_parse, jobs, chunksize=16):
            if result is None or not result[2].chunks:
                continue
            rel, data, parsed = result
            record = FileRecord(path=rel, content_hash=content_hash(data),
                                size_bytes=len(data), mtime_ns=0, language=language_for(rel))
            files.append((record, parsed))
            total += len(parsed.chunks)
            if total >= target_chunks:
                pool.shutdown(wait=False, cancel_futures=True)
                break
    return files


async def _persist(storage: Storage, workspace: Workspace, files: Indexed) -> None:
    await storage.upsert_workspace(workspace)
    semaphore = asyncio.Semaphore(4)

    async def one(record: FileRecord, parsed: ChunkedFile) -> None:
        async with semaphore:
            await storage.replace_file(workspace.id, record, parsed.chunks, parsed.symbols)

    await asyncio.gather(*(one(r, p) for r, p in files))


def _queries(files: Indexed, count: int, seed: int = 3) -> list[tuple[str, str]]:
    """(qualified name, path) of a fixed random sample of functions and methods."""
    found = sorted({(d.qualified_name, record.path) for record, parsed in files
                    for d in parsed.symbols.definitions if d.kind in ("function", "method")})
    return random.Random(seed).sample(found, min(count, len(found)))


async def _timed_calls(call: Callable, requests: list) -> list[float]:
    for request in requests[:WARMUP]:
        await call(request)
    latencies = []
    for request in requests:
        start = time.perf_counter()
        await call(request)
        latencies.append(time.perf_counter() - start)
    return sorted(latencies)


def _p(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


_index: dict[int, Indexed] = {}  # built once per run, stored on each backend


async def latency(storages: Callable[[str], AbstractAsyncContextManager[Storage]],
                  backend: str, work: Path, chunks: int, queries: int) -> None:
    if chunks not in _index:
        with timed() as took:
            _index[chunks] = build_index(chunks)
        files = _index[chunks]
        say(f"latency index: {len(files)} files, {sum(len(p.chunks) for _, p in files)} "
            f"chunks, {sum(len(p.symbols.references) for _, p in files)} references, "
            f"{sum(len(p.symbols.definitions) for _, p in files)} definitions, parsed in "
            f"{took[0]:.0f} s")
    files = _index[chunks]
    root = work / "latency"
    root.mkdir(exist_ok=True)
    async with storages("latency") as storage:
        workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))
        with timed() as took:
            await _persist(storage, workspace, files)
            if isinstance(storage, PostgresStorage):  # as bench/search.py: autovacuum's state
                async with storage._connection() as conn:
                    await conn.execute("VACUUM ANALYZE")
        say(f"{backend}: latency index persisted in {took[0]:.0f} s")
        asked = _queries(files, queries)
        async with running_server(storage, root) as server:
            stub = server.knowledge
            refs = await _timed_calls(
                lambda q: stub.FindReferences(pb.FindReferencesRequest(
                    qualified_name=q[0], path=q[1]), timeout=30), asked)
            health = await _timed_calls(
                lambda _: server.health.Check(health_pb2.HealthCheckRequest(), timeout=30),
                asked)
    target = TARGETS[backend]
    p50 = _p(refs, 0.5)
    say(f"{backend}: FindReferences of {len(asked)} definitions: p50 {p50:.1f} ms, p99 "
        f"{_p(refs, 0.99):.1f} ms (target p50 <= {target:.0f} ms: "
        f"{'met' if p50 <= target else 'NOT met'}); health Check p50 {_p(health, 0.5):.1f} ms,"
        f" p99 {_p(health, 0.99):.1f} ms")
