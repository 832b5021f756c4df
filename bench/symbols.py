"""The symbol graph against an independent resolver, its ingest cost, its query latency.

    .venv/bin/python -m bench.symbols [--part accuracy,overhead,latency]
        [--packages click,jinja2,rich] [--targets 120] [--seed 5] [--backends memory,postgres]
        [--files 2000] [--rounds 3] [--chunks 100000] [--queries 300]

Needs jedi, the oracle, installed for benchmarks only: `pip install -e '.[bench]'` (`make
bench` does). Three parts, each on both storage backends:

- accuracy: each package (installed, written by nobody here) is copied into a workspace of
  its own and ingested (no models); for a fixed random sample of its functions and methods
  (`--targets` each, dunders left out), jedi's references (bench/symbols_oracle.py) are the
  truth and FindReferences over gRPC the answer, matched by file and line; call edges are
  jedi's calling definitions against GetCallGraph's callers (depth 1). Precision and recall
  count RESOLVED answers; "+ambiguous" counts those marked ambiguous too. "extracted" is
  the share of jedi's references that extraction recorded at all (FindReferences by bare
  name): what resolution had to work with. Targets: precision >= 0.9, recall >= 0.8.
- overhead: the same ingest (scan, parse, persist; no models) of `--files` real .py files
  with and without symbol extraction, alternated `--rounds` times in one run (the best of
  each kept), and the parse stage alone with and without it. Target: extraction adds
  <= 25 %. Wall time is the target's measure; CPU time (this process, its parse workers and
  the embedded PostgreSQL, all processes under this one) is shown beside it because on a
  machine others load too, it moves far less than wall time does.
- latency: bench/symbol_queries.py (FindReferences, FindSymbols, GetCallGraph one at a
  time on about `--chunks` chunks of real files with their symbols, beside health Check).
  Targets: FindReferences p50 <= 10 ms (memory), <= 30 ms (PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bench import symbol_queries
from bench.search import memory_storages, postgres_storages
from bench.symbols_oracle import Oracle, Truth, copy_package
from bench.symbols_scores import PackageScores, score_package
from bench.workloads import copy_tree, say, timed
from services.domain.models import Workspace, workspace_id_for
from services.ingestor.assembly import build_ingestion
from services.ingestor.chunking import parse_to_file
from services.storage.port import Storage
from tests.support.grpc_server import settings_for
from tests.support.postgres import temporary_postgres

StorageFactory = Callable[[str], AbstractAsyncContextManager[Storage]]
OVERHEAD_TARGET = 0.25


async def ingest(storage: Storage, root: Path, *, symbols: bool = True) -> float:
    """Seconds for a full ingest of `root` (no models) into `storage`."""
    settings = settings_for(root, INGEST_PARSE_WORKERS=str(os.cpu_count() or 2),
                            INGEST_INCLUDE_EXTENSIONS=".py")
    workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))
    await storage.upsert_workspace(workspace)
    ingestion = build_ingestion(settings, storage, extract_symbols=symbols)
    try:
        with timed() as elapsed:
            job, _ = await ingestion.jobs.start(workspace, full=True)
            job = await ingestion.jobs.wait(job.id)
        assert job.counts.get("files_failed", 0) == 0, job.message
        return elapsed[0]
    finally:
        await ingestion.close()


# --- accuracy ----------------------------------------------------------------------------

async def accuracy(storages: StorageFactory, backend: str, work: Path, packages: list[str],
                   truths: dict[str, tuple[Oracle, list[Truth]]]) -> list[PackageScores]:
    results = []
    for package in packages:
        root = work / "accuracy" / package
        oracle, package_truths = truths[package]
        async with storages(f"acc_{package}") as storage:
            took = await ingest(storage, root)
            scores = await score_package(storage, root, package, oracle, package_truths)
        say(f"{backend}: {package} ingested in {took:.1f} s; {scores.row()}")
        results.append(scores)
    return results


def oracle_truths(work: Path, packages: list[str], targets: int,
                  seed: int) -> dict[str, tuple[Oracle, list[Truth]]]:
    found = {}
    for package in packages:
        root = work / "accuracy" / package
        files = copy_package(package, root)
        oracle = Oracle(root)
        with timed() as took:
            truths = [t for t in map(oracle.truth, oracle.targets(package, targets, seed)) if t]
        references = sum(len(t.references) for t in truths)
        say(f"oracle: {package}: {files} files, {len(truths)} functions and methods, "
            f"{references} references by jedi in {took[0]:.0f} s")
        found[package] = (oracle, truths)
    return found


# --- overhead ----------------------------------------------------------------------------

# Processes whose CPU an ingest uses besides this one's own: the embedded PostgreSQL's
# postmaster (pg_ctl starts it detached, so it is not under this process).
_servers: list[int] = []


def cpu_seconds() -> float:
    """CPU seconds used so far by this process, every process under it (parse workers) and
    `_servers` with theirs (PostgreSQL's backends), ended ones included; from Linux's /proc,
    else this process only."""
    own = time.process_time()
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own + ended.ru_utime + ended.ru_stime
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue  # not a process, or it ended meanwhile
        # After the name: state, ppid, ..., utime, stime, cutime, cstime (stat(5)).
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(f) for f in fields[11:15]) / tick
    under = {os.getpid(), *_servers}
    grown = True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in under} - under
        grown = bool(found)
        under |= found
    return total + sum(times[pid] for pid in under if pid != os.getpid())


def _postmaster(pgdata: Path) -> int:
    """The process id of the PostgreSQL server of `pgdata` (its postmaster.pid's first line)."""
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def parse_cost(tree: Path, rounds: int) -> None:
    """The parse stage alone, in this process: where extraction's own cost shows (the
    ingest figures add the storage's cost of keeping the symbols). CPU time: nothing else
    runs in this process meanwhile."""
    sources = [(p.relative_to(tree).as_posix(), p.read_text(encoding="utf-8", errors="replace"))
               for p in sorted(tree.rglob("*.py"))]
    runs: dict[bool, list[float]] = {False: [], True: []}
    references = 0
    for round_ in range(rounds):
        for symbols in (False, True) if round_ % 2 == 0 else (True, False):
            started = time.process_time()
            for rel, text in sources:
                parsed = parse_to_file(rel, text, "python", symbols)
                references += len(parsed.symbols.references)
            runs[symbols].append(time.process_time() - started)
    without, with_ = min(runs[False]), min(runs[True])
    say(f"parse stage alone (1 process, CPU): without symbols {without:.2f} s, with "
        f"{with_:.2f} s: +{with_ / without - 1:.1%}; {references // rounds:,} references")


async def overhead(storages: StorageFactory, backend: str, tree: Path, files: int,
                   size: int, rounds: int = 3) -> float:
    """The ingest time extraction adds, as a fraction of the ingest without it (with and
    without alternated, each first in every other round; the best of each kept)."""
    runs: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for symbols in (False, True) if round_ % 2 == 0 else (True, False):
            async with storages(f"ovh_{int(symbols)}_{round_}") as storage:
                used = cpu_seconds()
                runs[symbols].append(await ingest(storage, tree, symbols=symbols))
                cpu[symbols].append(cpu_seconds() - used)
    without, with_ = min(runs[False]), min(runs[True])
    extra = with_ / without - 1
    cpu_without, cpu_with = min(cpu[False]), min(cpu[True])
    verdict = "met" if extra <= OVERHEAD_TARGET else "NOT met"
    say(f"{backend}: ingest of {files} files ({size / 1e6:.1f} MB): without symbols "
        f"{without:.2f} s, with {with_:.2f} s: +{extra:.1%} (target <= 25 %: {verdict}); "
        f"CPU {cpu_without:.2f} s and {cpu_with:.2f} s: +{cpu_with / cpu_without - 1:.1%}; "
        f"wall runs {_rounded(runs)}")
    return extra


def _rounded(runs: dict[bool, list[float]]) -> dict[str, list[float]]:
    return {("with" if k else "without"): [round(t, 2) for t in v] for k, v in runs.items()}


# --- the backends ------------------------------------------------------------------------

async def run_backend(backend: str, storages: StorageFactory, args: argparse.Namespace,
                      work: Path, truths: dict, tree: tuple[Path, int, int] | None) -> None:
    if "accuracy" in args.part:
        results = await accuracy(storages, backend, work, args.packages, truths)
        say(f"{backend}: pooled: {PackageScores.pooled(results).row()}")
    if "overhead" in args.part and tree is not None:
        await overhead(storages, backend, *tree, rounds=args.rounds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="accuracy,overhead,latency")
    parser.add_argument("--packages", default="click,jinja2,rich")
    parser.add_argument("--targets", type=int, default=120, help="functions per package")
    parser.add_argument("--seed", type=int, default=5, help="of the sample of functions")
    parser.add_argument("--backends", default="memory,postgres")
    parser.add_argument("--files", type=int, default=2000, help="files of the overhead tree")
    parser.add_argument("--rounds", type=int, default=3, help="overhead: ingests of each")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks of the big index")
    parser.add_argument("--queries", type=int, default=300, help="FindReferences asked")
    args = parser.parse_args()
    args.part = args.part.split(",")
    args.packages = args.packages.split(",")
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-symbols-"))
    try:
        truths = oracle_truths(work, args.packages, args.targets, args.seed) \
            if "accuracy" in args.part else {}
        tree = None
        if "overhead" in args.part:
            files, size = copy_tree(work / "tree", args.files)
            tree = (work / "tree", files, size)
            parse_cost(work / "tree", args.rounds)
        backends = args.backends.split(",")
        if "memory" in backends:
            await run_backend("memory", memory_storages, args, work, truths, tree)
        if "postgres" in backends:
            with temporary_postgres("bench-symbols") as server:
                _servers.append(_postmaster(server.pgdata))
                await run_backend("postgres", postgres_storages(server), args, work, truths,
                                  tree)
        if "latency" in args.part:
            await symbol_queries.main(argparse.Namespace(
                chunks=args.chunks, queries=args.queries, backends=args.backends))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
