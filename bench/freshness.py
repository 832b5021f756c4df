"""Freshness of the layered index: how soon a tree is searchable, against how soon it is whole.

    .venv/bin/python -m bench.freshness [--files 5000] [--backends memory,postgres]

Builds a tree of real Python sources (the standard library, then site-packages), then, on each
backend, runs one ingest with local embeddings (EMBEDDING_BACKEND=local, no LLM) and times:
- until every file is lexically searchable: the structure layer done for every file, checked
  by finding the last stored file's own words with a lexical search;
- until vectors cover every chunk (the baseline: before the layers, no file was searchable
  before its vectors existed, so this is when the whole tree became searchable).
Target: lexically searchable at least 10x sooner.

Then the live-update figures of bench/freshness_watch.py (edit to searchable under the watcher,
with `paths`, idle CPU), when that module is there: `await freshness_watch.run(tree, work)`
prints its own lines (on the same --backends); this bench says so when it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.workloads import copy_tree, say
from services.domain.models import Layer, Workspace, workspace_id_for
from services.inference.llm import OpenGate
from services.ingestor.assembly import build_embedder, build_ingestion
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import settings_for

POLL_SECONDS = 0.05
TARGET_RATIO = 10.0


async def time_layers(storage: Storage, root: Path, data: Path) -> tuple[float, float, dict]:
    """(seconds until every file is lexically searchable, seconds until vectors cover every
    chunk, the job's counts) for one ingest of `root`."""
    settings = settings_for(root, INGEST_INCLUDE_EXTENSIONS=".py", EMBEDDING_BACKEND="local",
                            KNOWPORT_DATA_DIR=str(data))
    workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))
    await storage.upsert_workspace(workspace)
    # The model loads (and, the first time, exports) before the clock starts: a server
    # loads it once, at start, not per ingest.
    await build_embedder(settings, OpenGate()).embed(["warm up"])
    ingestion = build_ingestion(settings, storage)
    try:
        start = time.perf_counter()
        job, _ = await ingestion.jobs.start(workspace, full=False)
        progress = ingestion.jobs.progress_of(job.id)
        structure = progress.layers[Layer.STRUCTURE]
        searchable = None
        while not job_done(ingestion, job.id):
            if searchable is None and structure.total and structure.finished:
                searchable = time.perf_counter() - start
                say(f"  every file lexically searchable after {searchable:.1f} s; embedding "
                    f"{progress.layers[Layer.VECTORS].total} files")
            await asyncio.sleep(POLL_SECONDS)
        job = await ingestion.jobs.wait(job.id)
        whole = time.perf_counter() - start
        assert job.counts.get("files_failed", 0) == 0, job.message
        embedded, chunks = await storage.vector_coverage(workspace.id)
        assert embedded == chunks, f"vectors cover {embedded} of {chunks} chunks at the end"
        await check_lexical(storage, workspace.id)
        return searchable or whole, whole, job.counts
    finally:
        await ingestion.close()


def job_done(ingestion, job_id: str) -> bool:
    return ingestion.jobs.progress_of(job_id) is None


async def check_lexical(storage: Storage, workspace_id: str) -> None:
    """The last file in path order is found by its own words: the index answers lexically."""
    last = (await storage.list_files(workspace_id))[-1]
    chunk = next(c for c in await storage.get_chunks(workspace_id, last.path) if c.symbol)
    hits = await storage.search_lexical(workspace_id, chunk.symbol.rsplit(".", 1)[-1], 50)
    assert any(hit.chunk.path == last.path for hit in hits), f"{last.path} is not found"


async def on_backend(name: str, tree: Path, work: Path) -> tuple[float, float, dict]:
    say(f"{name}:")
    if name == "memory":
        return await time_layers(MemoryStorage(), tree, work / "data")
    server = EmbeddedPostgres(work / "pg")
    storage = PostgresStorage(await asyncio.to_thread(server.start))
    try:
        await storage.open()
        return await time_layers(storage, tree, work / "data")
    finally:
        await storage.close()
        await asyncio.to_thread(server.stop)


async def watch_part(tree: Path, work: Path, backends: tuple[str, ...]) -> None:
    try:
        module = importlib.import_module("bench.freshness_watch")
    except ModuleNotFoundError:
        say("live updates: bench/freshness_watch.py is not there (the watcher's figures are "
            "measured by it); not measured in this run")
        return
    await module.run(tree, work, backends=backends)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="files in the tree")
    parser.add_argument("--backends", default="memory,postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-freshness-"))
    try:
        tree = work / "tree"
        files, size = copy_tree(tree, args.files)
        say(f"tree: {files} real .py files, {size / 1e6:.1f} MB; {os.cpu_count()} cores; "
            "local embeddings, no LLM")
        backends = tuple(args.backends.split(","))
        for backend in backends:
            searchable, whole, counts = await on_backend(backend, tree, work)
            ratio = whole / searchable
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            say(f"{backend:<9} {counts['files_persisted']} files, {counts['chunks_persisted']} "
                f"chunks: lexically searchable after {searchable:6.1f} s; vectors cover "
                f"everything after {whole:6.1f} s (baseline: the whole tree searchable "
                f"only then): {ratio:5.1f}x sooner (target >= {TARGET_RATIO:.0f}x: {verdict})")
        await watch_part(tree, work, backends)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
