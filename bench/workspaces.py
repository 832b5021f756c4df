"""Several workspaces in one server: a second worktree's ingest, and search across workspaces.

    .venv/bin/python -m bench.workspaces [--files 400] [--backend memory|postgres]

Part 1, a second worktree: a tree of real .py files (the standard library) is ingested as one
workspace with the local embedding model (EMBEDDING_BACKEND=local), then a copy of it at
another path (what `git worktree add` makes) as a second workspace, through one ingest
machine as the server runs it. Model calls are the texts sent to the embedder (every text
embedded goes to the shared cache, so they are counted there); both wall times come from
this run. Targets: the second ingest makes ~0 model calls and takes <= 10 % of the first's
time. The model is loaded before either is timed (a one-file ingest).

Part 2, search across workspaces: the same tree split into 5 folders registered as 5
workspaces, against the whole tree as 1 workspace (the same chunks and vectors, from the
caches). p50 / p95 of hybrid and lexical searches for the same queries (symbol names and
docstring sentences of the tree), each query run on both in turn, through the Searcher as
the servicer calls it; query vectors are computed beforehand so both measure retrieval.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

from bench.workloads import copy_tree, say, timed
from services.config.runtime import default_data_dir
from services.domain.models import SearchFilters, Workspace, workspace_id_for
from services.inference.llm import OpenGate
from services.ingestor.assembly import build_embedder, build_ingestion
from services.knowledge.across import Across
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.search import Mode, Searcher, SearchQuery
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import settings_for

PARTS = 5


def env(root: Path) -> dict[str, str]:
    return {"EMBEDDING_BACKEND": "local", "KNOWPORT_DATA_DIR": str(default_data_dir()),
            "INGEST_INCLUDE_EXTENSIONS": ".py"}


def count_model_calls(storage: Storage) -> dict[str, int]:
    """Counts the texts whose vectors are written to the shared cache: the texts embedded."""
    counter = {"texts": 0}
    put = storage.put_embeddings

    async def counted(model, items):
        counter["texts"] += len(items)
        await put(model, items)

    storage.put_embeddings = counted  # type: ignore[method-assign]
    return counter


async def ingest(jobs, root: Path, storage: Storage) -> tuple[Workspace, dict]:
    workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))
    await storage.upsert_workspace(workspace)
    job, _ = await jobs.start(workspace, full=False)
    job = await jobs.wait(job.id)
    assert job.state.value == "succeeded", job.message
    return workspace, job.counts


async def second_worktree(storage: Storage, work: Path, tree: Path, jobs) -> None:
    calls = count_model_calls(storage)
    warm = work / "warm"
    warm.mkdir()
    (warm / "w.py").write_text("def warm_up():\n    return 'load the model'\n")
    await ingest(jobs, warm, storage)
    worktree = work / "worktree"
    shutil.copytree(tree, worktree)
    runs = []
    for root in (tree, worktree):
        before = calls["texts"]
        with timed() as elapsed:
            _, counts = await ingest(jobs, root, storage)
        runs.append((elapsed[0], calls["texts"] - before, counts))
    (first, first_calls, counts), (second, second_calls, _) = runs
    say(f"indexed {counts['files_persisted']} files, {counts['chunks_persisted']} chunks")
    say(f"first ingest:   {first:7.2f} s, {first_calls:6d} texts embedded")
    say(f"second worktree:{second:7.2f} s, {second_calls:6d} texts embedded "
        f"({second / first:.1%} of the first's time; targets ~0 calls, <= 10 %)")


def split(tree: Path, work: Path) -> list[Path]:
    """The tree's files dealt into PARTS sibling folders, round robin by file."""
    roots = [work / f"part{i}" for i in range(PARTS)]
    for index, path in enumerate(sorted(p for p in tree.rglob("*.py"))):
        dest = roots[index % PARTS] / path.relative_to(tree)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return roots


async def queries_of(storage: Storage, workspace: str, count: int) -> list[str]:
    found: list[str] = []
    async for batch in storage.iter_chunks(workspace):
        found += [c.symbol.rsplit(".", 1)[-1].replace("_", " ").strip()
                  for c in batch if c.kind in ("function", "method") and c.symbol]
    unique = list(dict.fromkeys(q for q in found if q))
    return unique[::max(1, len(unique) // count)][:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def across_five(storage: Storage, work: Path, tree: Path, jobs, count: int) -> None:
    whole = Workspace(id=workspace_id_for(str(tree)), root=str(tree))
    parts = [(await ingest(jobs, root, storage))[0] for root in split(tree, work)]
    sizes = [(await storage.stats(w.id)).chunks for w in parts]
    say(f"5 workspaces: {sum(sizes)} chunks ({', '.join(map(str, sizes))}); 1 workspace: "
        f"{(await storage.stats(whole.id)).chunks} chunks")
    settings = settings_for(tree, **env(tree))
    embedder = QueryEmbedder(build_embedder(settings, OpenGate()))
    queries = await queries_of(storage, whole.id, count)
    await embedder.prime(queries)
    one = Searcher(storage, embedder)
    five = Searcher(Across(storage, [w.id for w in parts]), embedder)
    for mode in (Mode.HYBRID, Mode.LEXICAL):
        times: dict[str, list[float]] = {"1": [], "5": []}
        for query in queries:
            for name, searcher, first_id in (("1", one, whole.id), ("5", five, parts[0].id)):
                start = time.perf_counter()
                await searcher.search(SearchQuery(first_id, query, mode, SearchFilters(), 0, 10))
                times[name].append(time.perf_counter() - start)
        p50 = {k: percentile(v, 0.5) * 1000 for k, v in times.items()}
        p95 = {k: percentile(v, 0.95) * 1000 for k, v in times.items()}
        say(f"{mode.value:<8} {len(queries)} queries: 1 workspace p50 {p50['1']:6.1f} ms "
            f"p95 {p95['1']:6.1f} ms; 5 workspaces p50 {p50['5']:6.1f} ms p95 {p95['5']:6.1f} "
            f"ms ({p50['5'] / p50['1']:.2f}x at p50)")


@asynccontextmanager
async def opened(backend: str, work: Path):
    if backend == "memory":
        yield MemoryStorage()
        return
    server = EmbeddedPostgres(work / "pg")
    storage = PostgresStorage(await asyncio.to_thread(server.start))
    try:
        await storage.open()
        yield storage
    finally:
        await storage.close()
        await asyncio.to_thread(server.stop)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=400, help="files in the tree")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", choices=("memory", "postgres"), default="memory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-"))
    try:
        tree = work / "tree"
        files, size = copy_tree(tree, args.files)
        say(f"tree: {files} real .py files, {size / 1e6:.1f} MB; backend {args.backend}")
        async with opened(args.backend, work) as storage:
            ingestion = build_ingestion(settings_for(tree, **env(tree)), storage)
            try:
                await second_worktree(storage, work, tree, ingestion.jobs)
                await across_five(storage, work, tree, ingestion.jobs, args.queries)
            finally:
                await ingestion.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
