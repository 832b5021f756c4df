"""Search over HTTP/JSON (the gateway) against Search over gRPC, same server, same run.

    .venv/bin/python -m bench.http [--clients 8] [--seconds 5] [--warmup 1] [--page-size 10]

One `knowport serve` (memory storage, no embedder: lexical search) indexes a copy of this
repository's `services/` folder with its HTTP/JSON gateway on; this process then runs, for
gRPC and for HTTP in turn, first one caller (latency: p50, p99) and then `--clients`
concurrent callers (throughput), each sending its next search as soon as the last one
answered. The queries are the identifiers of the indexed code in a fixed order. Target:
HTTP/JSON p50 <= 1.5x gRPC p50 (the ratio is what counts; absolute times depend on the
machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx

from bench.workloads import say
from knowport.v1 import knowledge_service_pb2 as pb
from knowport.v1 import knowledge_service_pb2_grpc as pb_grpc
from tests.support.process import gateway_base, start_serve, wait_ingest_succeeded

ROOT = Path(__file__).resolve().parents[1]
Ask = Callable[[str], Awaitable[int]]


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client (one connection per caller): what a lean client
    (curl, Go, a C library) costs, so the row beside httpx's shows the gateway's own cost
    apart from a pure-Python client's."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes) -> bytes:
        if self._free:
            reader, writer = self._free.pop()
        else:
            reader, writer = await asyncio.open_connection(*self._address)
        head = (f"POST {path} HTTP/1.1\r\nHost: {self._address[0]}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        writer.write(head.encode() + body)
        headers = await reader.readuntil(b"\r\n\r\n")
        if not headers.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(headers.decode(errors="replace"))
        length = int(re.search(rb"(?i)content-length: (\d+)", headers).group(1))
        answer = await reader.readexactly(length)
        self._free.append((reader, writer))
        return answer

    async def close(self) -> None:
        for _, writer in self._free:
            writer.close()


def queries(source: Path, count: int = 400) -> list[str]:
    names: list[str] = []
    for path in sorted(source.rglob("*.py")):
        names += re.findall(r"def ([a-z_][a-z0-9_]{4,})", path.read_text(encoding="utf-8"))
    return sorted(set(names))[:count]


async def _run(ask: Ask, words: list[str], clients: int, seconds: float,
               warmup: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + warmup + seconds
    measuring_from = time.perf_counter() + warmup
    sizes = 0

    async def caller(offset: int) -> None:
        nonlocal sizes
        index = offset
        while (now := time.perf_counter()) < stop_at:
            size = await ask(words[index % len(words)])
            index += clients
            if now >= measuring_from:
                latencies.append(time.perf_counter() - now)
                sizes += size

    await asyncio.gather(*(caller(n) for n in range(clients)))
    return latencies, sizes, seconds


def _row(name: str, latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
            "rps": len(ordered) / seconds}


async def measure(grpc_address: str, http_base: str, words: list[str],
                  args: argparse.Namespace) -> dict[str, dict[str, float]]:
    channel = grpc.aio.insecure_channel(grpc_address)
    stub = pb_grpc.KnowledgeServiceStub(channel)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    http = httpx.AsyncClient(base_url=http_base, limits=limits, timeout=30)

    async def over_grpc(query: str) -> int:
        reply = await stub.Search(pb.SearchRequest(query=query, page_size=args.page_size,
                                                   mode=pb.SEARCH_MODE_LEXICAL), timeout=30)
        return reply.ByteSize()

    async def over_http(query: str) -> int:
        reply = await http.post("/knowledge/search", json={
            "query": query, "pageSize": args.page_size, "mode": "SEARCH_MODE_LEXICAL"})
        reply.raise_for_status()
        return len(reply.content)

    host, port = http_base.removeprefix("http://").rsplit(":", 1)
    raw = RawHttp(host, int(port))

    async def over_raw_http(query: str) -> int:
        body = json.dumps({"query": query, "pageSize": args.page_size,
                           "mode": "SEARCH_MODE_LEXICAL"}).encode()
        return len(await raw.post("/knowledge/search", body))

    rows = {}
    try:
        for name, ask in (("gRPC", over_grpc), ("HTTP/JSON, httpx", over_http),
                          ("HTTP/JSON, lean client", over_raw_http)):
            single, sizes, seconds = await _run(ask, words, 1, args.seconds, args.warmup)
            many, _, _ = await _run(ask, words, args.clients, args.seconds, args.warmup)
            rows[name] = {**_row(name, single, seconds),
                          f"rps_{args.clients}": len(many) / args.seconds,
                          "bytes": sizes / max(1, len(single))}
    finally:
        await http.aclose()
        await raw.close()
        await channel.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--page-size", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as work:
        workspace = Path(work) / "repo"
        shutil.copytree(ROOT / "services", workspace / "services",
                        ignore=shutil.ignore_patterns("__pycache__"))
        served = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(workspace),
                              "KNOWPORT_HTTP_PORT": "0", "EMBEDDING_BACKEND": "none",
                              "OPENAI_API_BASE": "", "LOG_LEVEL": "WARNING"})
        try:
            base = gateway_base(served)
            wait_ingest_succeeded(base)
            words = queries(workspace)
            say(f"index ready: {len(words)} queries; {args.clients} clients, "
                f"{args.seconds:.0f} s per run")
            rows = asyncio.run(measure(served.address, base, words, args))
        finally:
            served.stop()
    grpc_row = rows["gRPC"]
    say(f"| transport | p50 ms | p99 ms | searches/s (1 client) | searches/s ({args.clients} "
        "clients) | bytes per answer |")
    say("| --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        say(f"| {name} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['rps']:.0f} | "
            f"{row[f'rps_{args.clients}']:.0f} | {row['bytes']:.0f} |")
    for name, row in rows.items():
        if name == "gRPC":
            continue
        ratio = row["p50_ms"] / grpc_row["p50_ms"]
        verdict = "met" if ratio <= 1.5 else "NOT met"
        say(f"{name}: p50 = {ratio:.2f}x gRPC p50 (target <= 1.5x: {verdict}); throughput "
            f"{row[f'rps_{args.clients}'] / grpc_row[f'rps_{args.clients}']:.2f}x")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
