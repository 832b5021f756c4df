"""Latency under sustained concurrent load, memory and embedded PostgreSQL, against the same
server's health-check latency when idle.

    .venv/bin/python -m bench.load [--seconds 30] [--clients 8] [--skip-postgres]

The workspace: a copy of this project's own services/ folder (real Python and SQL), served by
a real `knowport serve` process - STORAGE_TYPE=memory, then STORAGE_TYPE=postgres with the
embedded PostgreSQL the server starts itself in a temporary data folder - and indexed through
StartIngest with embeddings off (EMBEDDING_BACKEND=none, no LLM), so searches are lexical.

For each backend, in this run:
- the baseline: one client calling health Check back to back (`--idle-calls` times) while the
  server does nothing else; its p50 and p99;
- the load: `--clients` concurrent clients, each on its own channel and sending its next call
  as soon as the last one answered, for `--seconds`, cycling through Search (lexical, words
  from the project's vocabulary), GetFileContext (every indexed file) and health Check in
  equal shares.
Prints the calls made, the non-OK responses (the clients stay far below the server's
concurrency limit, so any is a failure and the exit status is 1), and p50 / p99 per method,
each as a ratio to the idle health-check p50 / p99. The clients share one event loop in this
process while the server has its own process; on a small machine the figures include some
client-side queueing, the same for every method.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from bench.workloads import say, timed
from clients import AsyncKnowportClient
from clients.api import make_stubs
from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb
from tests.support.process import ServeProcess, start_serve

SERVICES = Path(__file__).resolve().parent.parent / "services"
# Words an agent working on this code base would search for.
QUERIES = ("storage unavailable", "lease fencing token", "health monitor serving",
           "response budget", "ingest job progress", "parse python chunks", "workspace resolver",
           "page token", "embedding batch", "concurrent calls limit", "glob to regex",
           "overview cache", "LockState", "replace_file", "CallInterceptor")
CALL_TIMEOUT = 10.0

Call = tuple[str, Callable[..., Any], Any]  # (method name, stub method, request)


def copy_services(target: Path) -> list[str]:
    """The project's services/ folder (Python sources, SQL migrations) under `target`; the
    files' relative paths."""
    shutil.copytree(SERVICES, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())


async def index(address: str) -> ipb.IngestJob:
    async with AsyncKnowportClient(address, timeout=60) as client:
        started = (await client.start_ingest()).job
        job = [u.job async for u in client.watch_ingest(started.job_id)][-1]
    if job.state != ipb.INGEST_JOB_STATE_SUCCEEDED:
        raise RuntimeError(f"ingest ended {ipb.IngestJobState.Name(job.state)}: {job.message}")
    return job


def mix(stubs: dict[str, Any], files: list[str]) -> list[Call]:
    """Search, GetFileContext and health Check in equal shares, every query and file once."""
    check = ("Check", stubs["health"].Check, health_pb2.HealthCheckRequest())
    calls: list[Call] = []
    for n in range(max(len(QUERIES), len(files))):
        calls += [("Search", stubs["knowledge"].Search, kpb.SearchRequest(
                      query=QUERIES[n % len(QUERIES)], mode=kpb.SEARCH_MODE_LEXICAL)),
                  ("GetFileContext", stubs["knowledge"].GetFileContext,
                   kpb.GetFileContextRequest(path=files[n % len(files)])),
                  check]
    return calls


class Tally:
    """Latencies in seconds by method, and non-OK responses by method and code."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.failures: Counter[str] = Counter()

    async def call(self, name: str, method: Callable[..., Any], request: Any) -> None:
        started = time.perf_counter()
        try:
            await method(request, timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as err:
            self.failures[f"{name} {err.code().name}"] += 1
            return
        self.latencies[name].append(time.perf_counter() - started)

    def p50_p99(self, name: str) -> tuple[float, float]:
        cuts = statistics.quantiles(self.latencies[name], n=100, method="inclusive")
        return cuts[49], cuts[98]

    @property
    def calls(self) -> int:
        return sum(map(len, self.latencies.values())) + sum(self.failures.values())


async def idle_checks(address: str, count: int) -> Tally:
    tally = Tally()
    async with grpc.aio.insecure_channel(address) as channel:
        check = make_stubs(channel)["health"].Check
        for _ in range(count):
            await tally.call("Check", check, health_pb2.HealthCheckRequest())
    return tally


async def under_load(address: str, files: list[str], clients: int, seconds: float) -> Tally:
    channels = [grpc.aio.insecure_channel(address) for _ in range(clients)]
    tally = Tally()

    async def client(number: int, calls: list[Call], stop_at: float) -> None:
        n = number * len(calls) // clients  # each client starts at a different point
        while time.perf_counter() < stop_at:
            await tally.call(*calls[n % len(calls)])
            n += 1

    try:
        rounds = [mix(make_stubs(channel), files) for channel in channels]
        warm_up = Tally()  # each request once, so no first-call cost is measured
        for call in rounds[0]:
            await warm_up.call(*call)
        tally.failures += warm_up.failures
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(client(n, calls, stop_at) for n, calls in enumerate(rounds)))
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))
    return tally


def report(backend: str, idle: Tally, load: Tally, seconds: float) -> None:
    idle50, idle99 = idle.p50_p99("Check")
    say(f"{backend}: idle health Check (1 client, {idle.calls} calls): "
        f"p50 {idle50 * 1000:.2f} ms  p99 {idle99 * 1000:.2f} ms")
    say(f"{backend}: under load: {load.calls} calls in {seconds:.0f} s "
        f"({load.calls / seconds:.0f}/s), non-OK {sum(load.failures.values())}"
        + (f" {dict(load.failures)}" if load.failures else ""))
    for name in ("Search", "GetFileContext", "Check"):
        p50, p99 = load.p50_p99(name)
        label = "health Check" if name == "Check" else name
        say(f"{backend}:   {label:<15} {len(load.latencies[name]):7d} calls  "
            f"p50 {p50 * 1000:7.2f} ms ({p50 / idle50:5.1f}x idle)  "
            f"p99 {p99 * 1000:7.2f} ms ({p99 / idle99:5.1f}x idle)")


async def run_backend(backend: str, env: dict[str, str], args) -> int:
    """Serve, index, measure and report one backend; returns its non-OK count."""
    served: ServeProcess = start_serve(env)
    try:
        with timed() as took:
            job = await index(served.address)
        say(f"{backend}: indexed {job.progress.files_persisted} files, "
            f"{job.progress.chunks_persisted} chunks in {took[0]:.1f} s")
        idle = await idle_checks(served.address, args.idle_calls)
        load = await under_load(served.address, args.files, args.clients, args.seconds)
        report(backend, idle, load, args.seconds)
        return sum(idle.failures.values()) + sum(load.failures.values())
    finally:
        if (code := served.stop()) != 0:
            say(f"{backend}: knowport serve exited {code}:\n" + "".join(served.output[-20:]))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load per backend")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--idle-calls", type=int, default=2000,
                        help="health Checks of the idle baseline")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-load-"))
    try:
        workspace = work / "services"
        args.files = copy_services(workspace)
        say(f"workspace: the {len(args.files)} files of services/; {args.clients} clients, "
            f"{args.seconds:.0f} s per backend; embeddings off (lexical search)")
        common = {"WORKSPACE": str(workspace), "KNOWPORT_INGEST_ON_START": "false",
                  "EMBEDDING_BACKEND": "none", "OPENAI_API_BASE": "",
                  # No access log: its line per call would be drained by a thread of this
                  # process, taking the GIL from the clients whose latency is measured.
                  "LOG_LEVEL": "WARNING"}
        backends = {"memory": {"STORAGE_TYPE": "memory", "KNOWPORT_DATA_DIR": str(work / "m")}}
        if not args.skip_postgres:
            backends["postgres"] = {"STORAGE_TYPE": "postgres",
                                    "KNOWPORT_DATA_DIR": str(work / "pg")}
        failed = 0
        for backend, env in backends.items():
            failed += await run_backend(backend, {**common, **env}, args)
        say(f"non-OK responses in all: {failed}")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
