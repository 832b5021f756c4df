"""Live updates: how soon an edit is searchable, and what watching costs at rest.

    .venv/bin/python -m bench.freshness_watch [--files 5000] [--edits 100] \
        [--backends memory,postgres] [--embedding none|local]

On a tree of real Python sources (bench.workloads.copy_tree; bench/freshness.py passes its
own), each backend runs `knowport serve` as a real process, indexes the tree, and measures:
- watcher: `--edits` single-file edits (a new word written into a file), each timed from the
  write until a lexical search finds the word (targets: p50 <= 0.5 s, p95 <= 2 s);
- paths: the same with the watcher off and StartIngest(paths=[the file]) sent right after
  the write: the fast path for a client that knows what it changed (target: p95 <= 300 ms);
- baseline, measured in the same run: the edit followed by an incremental ingest of the whole
  workspace, what a client had to do before (fewer edits: each rescans the tree);
- vectors (only with --embedding local): from the write until the index's vectors cover
  every chunk again, the edited file's included (target: p95 <= 5 s);
- idle CPU of the serve process at rest (no edits, no requests) with the watcher, beside the
  same server without it (target: the watcher's share <= 1 % of a core).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from bench.workloads import copy_tree, say, timed
from clients import KnowportClient
from knowport.v1 import ingest_service_pb2 as ipb
from tests.support.process import ServeProcess, start_serve

POLL_SECONDS = 0.01
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "20"))
EDIT_DEADLINE = 60.0  # an edit not searchable by then counts as this long (and is reported)
BASELINE_EDITS = 10
FINISHED = {ipb.INGEST_JOB_STATE_SUCCEEDED, ipb.INGEST_JOB_STATE_FAILED,
            ipb.INGEST_JOB_STATE_CANCELLED}


def word(n: int) -> str:
    """A made-up word no file holds (letters only, so every tokenizer keeps it whole)."""
    letters = "".join(chr(ord("a") + int(d)) for d in f"{n:06d}")
    return f"zqvx{letters}"


class Server:
    """`knowport serve` over `tree` on one backend, and a client to it."""

    def __init__(self, tree: Path, data: Path, backend: str, watch: bool, embedding: str):
        env = {"WORKSPACE": str(tree), "STORAGE_TYPE": backend, "KNOWPORT_DATA_DIR": str(data),
               "KNOWPORT_INGEST_ON_START": "false", "INGEST_INCLUDE_EXTENSIONS": ".py",
               "EMBEDDING_BACKEND": embedding, "OPENAI_API_BASE": "",
               "KNOWPORT_WATCH": "true" if watch else "false", "LOG_LEVEL": "WARNING"}
        self.process: ServeProcess = start_serve(env, timeout=180)
        self.client = KnowportClient(self.process.address, timeout=60)

    def close(self) -> None:
        self.client.close()
        self.process.stop()

    def ingest(self, paths: list[str] | None = None, *, to_end: bool = True) -> str:
        """Start an ingest (of `paths`, or the workspace) and return its id; wait for its
        end when `to_end`. A joined job need not cover the paths: then wait for it and start
        again."""
        while True:
            started = self.client.start_ingest(paths=paths or ())
            if not started.joined:
                break
            self.wait(started.job.job_id)
        if to_end:
            self.wait(started.job.job_id)
        return started.job.job_id

    def wait(self, job_id: str) -> ipb.IngestJob:
        while (job := self.client.ingest_job(job_id).job).state not in FINISHED:
            time.sleep(POLL_SECONDS)
        return job

    def finds(self, query: str, path: str) -> bool:
        hits = self.client.search(query, mode="lexical", page_size=5).hits
        return any(hit.path == path for hit in hits)

    def vectors_complete(self) -> bool:
        stats = self.client.stats()
        return stats.chunks > 0 and stats.embedded_chunks == stats.chunks

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.proc.pid).cpu_times()
        return times.user + times.system


def edit(tree: Path, rel: str, n: int) -> str:
    """Write a new word into the file, as a comment above its first line."""
    path = tree / rel
    path.write_text(f"# {word(n)}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return word(n)


def until(check, deadline: float = EDIT_DEADLINE) -> float:
    """Seconds until `check()` holds (polled), or the deadline."""
    start = time.perf_counter()
    while not check() and time.perf_counter() - start < deadline:
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - start


def edit_latencies(server: Server, tree: Path, files: list[str], first: int, *,
                   then=None, vectors: bool = False) -> tuple[list[float], list[float]]:
    """(seconds to lexically searchable, seconds to full vector coverage) per edited file;
    `then(rel)` runs right after each write (the client's own ingest request; it returns the
    job's id)."""
    lexical, covered = [], []
    for i, rel in enumerate(files):
        start = time.perf_counter()
        new = edit(tree, rel, first + i)
        job_id = then(rel) if then is not None else None
        until(lambda: server.finds(new, rel))  # noqa: B023 - called before the loop moves on
        lexical.append(time.perf_counter() - start)
        if vectors:
            until(server.vectors_complete)
            covered.append(time.perf_counter() - start)
        if job_id is not None:  # a client (the CLI, refresh_files) waits for its job's end
            server.wait(job_id)  # before its next edit; off the clock
    return lexical, covered


def idle_cpu(server: Server) -> float:
    """Percent of one core the serve process used at rest."""
    time.sleep(2.0)  # let the last job's tail (snapshots, logs) settle
    cpu, wall = server.cpu_seconds(), time.perf_counter()
    time.sleep(IDLE_SECONDS)
    return 100 * (server.cpu_seconds() - cpu) / (time.perf_counter() - wall)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def line(name: str, values: list[float], targets: str) -> str:
    return (f"  {name:<36} p50 {pct(values, 50) * 1000:7.0f} ms  p95 "
            f"{pct(values, 95) * 1000:7.0f} ms  max {max(values) * 1000:7.0f} ms  {targets}")


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "NOT met"


def on_backend(backend: str, tree: Path, work: Path, edits: int, embedding: str,
               first: int) -> None:
    """The figures of one backend; its made-up words are numbered from `first` (each
    backend's own: the tree is shared, and already holds the words of the ones before)."""
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*.py"))
    step = max(1, len(files) // edits)
    chosen = files[::step][:edits]
    vectors = embedding != "none"
    say(f"{backend}: {len(files)} files, {len(chosen)} single-file edits per mode")

    watched = Server(tree, work / f"data-{backend}-watch", backend, True, embedding)
    try:
        with timed() as took:
            watched.ingest()
        say(f"  the tree indexed (embeddings: {embedding}) in {took[0]:.0f} s")
        with_watcher = idle_cpu(watched)
        lexical, covered = edit_latencies(watched, tree, chosen, first, vectors=vectors)
    finally:
        watched.close()
    plain = Server(tree, work / f"data-{backend}-plain", backend, False, embedding)
    try:
        plain.ingest()
        without = idle_cpu(plain)
        # The client's request right after the write; the clock runs until search finds it.
        fast, _ = edit_latencies(plain, tree, chosen, first + 1000,
                                 then=lambda rel: plain.ingest([rel], to_end=False))
        whole, _ = edit_latencies(plain, tree, chosen[:BASELINE_EDITS], first + 2000,
                                  then=lambda rel: plain.ingest(to_end=False))
    finally:
        plain.close()

    say(line("watcher: edit -> lexically searchable", lexical,
             f"(p50 <= 500 ms: {verdict(pct(lexical, 50), 0.5)}; "
             f"p95 <= 2000 ms: {verdict(pct(lexical, 95), 2.0)})"))
    say(line("paths: edit -> lexically searchable", fast,
             f"(p95 <= 300 ms: {verdict(pct(fast, 95), 0.3)})"))
    say(line("baseline: edit + whole incremental", whole,
             f"(watcher p50 {pct(whole, 50) / pct(lexical, 50):.1f}x sooner, "
             f"paths {pct(whole, 50) / pct(fast, 50):.1f}x)"))
    if vectors:
        say(line("watcher: edit -> vectors cover it", covered,
                 f"(p95 <= 5000 ms: {verdict(pct(covered, 95), 5.0)})"))
    else:
        say("  vectors of the edited file: not measured (run with --embedding local)")
    share = with_watcher - without
    say(f"  idle CPU of the serve process over {IDLE_SECONDS:.0f} s: {with_watcher:.2f} % of "
        f"a core with the watcher, {without:.2f} % without (baseline): the watcher's share "
        f"{share:+.2f} % (target <= 1 %: {verdict(share, 1.0)})")


async def run(tree: Path, work: Path, *, edits: int = 100,
              backends: tuple[str, ...] = ("memory", "postgres"),
              embedding: str = "none") -> None:
    """The live-update figures over `tree` (bench/freshness.py calls this); `work` holds the
    servers' data. The tree's files are edited."""
    say(f"live updates: {os.cpu_count()} cores; embeddings: {embedding}")
    for n, backend in enumerate(backends):
        await asyncio.to_thread(on_backend, backend, tree, work, edits, embedding, n * 10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="files in the tree")
    parser.add_argument("--edits", type=int, default=100, help="single-file edits per mode")
    parser.add_argument("--backends", default="memory,postgres")
    parser.add_argument("--embedding", choices=("none", "local"), default="none",
                        help="local: also time the edited file's vectors (the initial ingest "
                        "then embeds the whole tree first)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-freshness-watch-"))
    try:
        files, size = copy_tree(work / "tree", args.files)
        say(f"tree: {files} real .py files, {size / 1e6:.1f} MB")
        asyncio.run(run(work / "tree", work, edits=args.edits,
                        backends=tuple(args.backends.split(",")), embedding=args.embedding))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
