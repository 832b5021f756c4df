"""Soak: a real `knowport serve` answers 20,000 mixed calls and 2,000 cancelled streams, every
one OK, and ends with its resident memory within 50 MB of the warmed-up baseline, its open
file descriptors back where they were, and no error in its log."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2

from clients import AsyncKnowportClient
from clients.api import make_stubs
from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import lock_service_pb2 as lpb
from tests.support.process import start_serve
from tests.support.workspaces import shop_workspace

CALLS = 20_000
CANCELLED_STREAMS = 2_000
# Enough for gRPC's and the allocator's pools to reach their working size before the baseline.
WARM_UP_CALLS = 2_000
WARM_UP_STREAMS = 200
WORKERS = 8  # concurrent callers, each on its own channel (connection)
CALL_TIMEOUT = 10.0
MAX_RSS_GROWTH_KB = 50 * 1024
FD_SETTLE_SECONDS = 5.0
FD_POLL_SECONDS = 0.1

Call = tuple[str, Callable[..., Any], Any]  # (name for reports, stub method, request)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def fds_settled(pid: int, baseline: int) -> int:
    """The server's fd count once it is back at the baseline, or the last one seen: a
    cancelled stream's connection-side clean-up may lag its client's cancel a little."""
    for _ in range(int(FD_SETTLE_SECONDS / FD_POLL_SECONDS)):  # /proc has nothing to await
        if (count := open_fds(pid)) <= baseline:
            return count
        await asyncio.sleep(FD_POLL_SECONDS)
    return open_fds(pid)


def unary_calls(stubs: dict[str, Any]) -> list[Call]:
    """One round of the mix: every read-only unary RPC an agent makes, with varied requests."""
    knowledge, ingest = stubs["knowledge"], stubs["ingest"]
    lock, health = stubs["lock"], stubs["health"]
    searches = [kpb.SearchRequest(query=q, mode=mode) for q, mode in (
        ("compute discount", kpb.SEARCH_MODE_LEXICAL),
        ("InventoryRegistry add_item", kpb.SEARCH_MODE_UNSPECIFIED),
        ("render cart", kpb.SEARCH_MODE_HYBRID),
        ("parse config file", kpb.SEARCH_MODE_LEXICAL))]
    files = [kpb.GetFileContextRequest(path=p) for p in (
        "shop/inventory.py", "shop/pricing.py", "README.md", "web/app.js")]
    return [
        *(("Search", knowledge.Search, r) for r in searches),
        *(("GetFileContext", knowledge.GetFileContext, r) for r in files),
        ("GetOverview", knowledge.GetOverview, kpb.GetOverviewRequest()),
        ("GetStats", ingest.GetStats, ipb.GetStatsRequest()),
        ("GetLlmLock", lock.GetLlmLock, lpb.GetLlmLockRequest()),
        ("Health.Check", health.Check, health_pb2.HealthCheckRequest()),
        ("Health.Check", health.Check,
         health_pb2.HealthCheckRequest(service="knowport.v1.KnowledgeService")),
    ]


def stream_calls(stubs: dict[str, Any], job_id: str) -> list[Call]:
    return [
        ("WatchLlmLock", stubs["lock"].WatchLlmLock, lpb.WatchLlmLockRequest()),
        ("WatchIngestJob", stubs["ingest"].WatchIngestJob,
         ipb.WatchIngestJobRequest(job_id=job_id)),
        ("Health.Watch", stubs["health"].Watch, health_pb2.HealthCheckRequest()),
    ]


async def unary(name: str, method: Callable[..., Any], request: Any) -> None:
    """One unary call (`name` unused: the signature is cancelled_stream's)."""
    await method(request, timeout=CALL_TIMEOUT)


async def cancelled_stream(name: str, method: Callable[..., Any], request: Any) -> None:
    """Open the stream, take its first message, then walk away as a client that lost
    interest would."""
    call = method(request, timeout=CALL_TIMEOUT)
    first = await call.read()
    call.cancel()
    assert first is not grpc.aio.EOF, f"{name} ended without a message"


async def drive(per_worker: list[list[Call]], total: int, send) -> Counter:
    """`total` calls spread over the workers, each worker cycling through its own channel's
    round; returns the non-OK status codes by method."""
    taken = itertools.count()
    failures: Counter = Counter()

    async def worker(calls: list[Call]) -> None:
        while (n := next(taken)) < total:
            name, method, request = calls[n % len(calls)]
            try:
                await send(name, method, request)
            except grpc.aio.AioRpcError as err:
                failures[f"{name} {err.code().name}: {err.details()}"] += 1

    await asyncio.gather(*(worker(calls) for calls in per_worker))
    return failures


@pytest.fixture
def served(tmp_path):
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(shop_workspace(tmp_path / "ws")),
                        "KNOWPORT_DATA_DIR": str(tmp_path / "data"),
                        "KNOWPORT_INGEST_ON_START": "false", "EMBEDDING_BACKEND": "none",
                        "OPENAI_API_BASE": ""})
    yield proc
    assert proc.stop() == 0, "".join(proc.output[-50:])


async def test_soak_leaks_neither_memory_nor_descriptors(served):
    started = time.perf_counter()
    pid = served.proc.pid
    async with AsyncKnowportClient(served.address) as client:
        job = (await client.start_ingest()).job
        final = [u.job async for u in client.watch_ingest(job.job_id)][-1]
        assert final.state == ipb.INGEST_JOB_STATE_SUCCEEDED, final.message

    channels = [grpc.aio.insecure_channel(served.address) for _ in range(WORKERS)]
    try:
        stubs = [make_stubs(channel) for channel in channels]
        calls = [unary_calls(s) for s in stubs]
        streams = [stream_calls(s, job.job_id) for s in stubs]

        warm_up = (await drive(calls, WARM_UP_CALLS, unary)
                   + await drive(streams, WARM_UP_STREAMS, cancelled_stream))
        assert not warm_up, f"non-OK calls during warm-up: {dict(warm_up)}"
        # The baseline is taken with every channel already connected, so only what the calls
        # themselves keep counts; the pause lets the last cancelled streams finish closing.
        await asyncio.sleep(0.5)
        rss_before, fds_before = rss_kb(pid), open_fds(pid)

        load_started = time.perf_counter()
        failures = (await drive(calls, CALLS, unary)
                    + await drive(streams, CANCELLED_STREAMS, cancelled_stream))
        load_seconds = time.perf_counter() - load_started
        assert not failures, f"non-OK calls: {dict(failures)}"

        fds_after = await fds_settled(pid, fds_before)
        rss_after = rss_kb(pid)
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))

    growth = rss_after - rss_before
    figures = (f"soak: {CALLS} calls + {CANCELLED_STREAMS} cancelled streams in "
               f"{load_seconds:.1f} s ({time.perf_counter() - started:.1f} s in all); "
               f"RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB "
               f"(+{growth / 1024:.1f} MB); open fds {fds_before} -> {fds_after}")
    print(figures)
    assert growth <= MAX_RSS_GROWTH_KB, figures
    assert fds_after <= fds_before, figures
    # Errors a client never sees (a task that died, a clean-up that failed) show in the log.
    logged = [record for record in log_records(served.output)
              if any(word in record for word in (" ERROR ", " CRITICAL ", "Traceback"))
              and CANCEL_RACE not in record]
    assert not logged, "".join(logged[:5])


# gRPC's own record of a stream write that crossed its client's cancel: which comes first is
# up to the network, and this test cancels 2,000 streams on purpose.
CANCEL_RACE = "ExecuteBatchError raised in core by servicer method"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def log_records(lines: list[str]) -> list[str]:
    """The server's output as log records: a record's traceback lines stay with it."""
    records: list[str] = []
    for line in lines:
        if RECORD_START.match(line) or not records:
            records.append(line)
        else:
            records[-1] += line
    return records
