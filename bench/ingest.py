"""Ingest throughput without models, memory and PostgreSQL, against a plain LlamaIndex loop.

    .venv/bin/python -m bench.ingest [--files 5000]

Builds a tree of real Python sources (the standard library, then site-packages), then times:
- the baseline: LlamaIndex `SimpleDirectoryReader` + `CodeSplitter` over the same files, in one
  process (what a plain script would do; it neither persists nor tracks anything);
- a full ingest (scan + parse + persist, no LLM, no embedder) into memory and into an
  embedded PostgreSQL;
- a no-op re-run over the unchanged tree on each backend.
Prints MB/s, files/s, MB/s per core and each figure's ratio to the baseline of this run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from bench.workloads import copy_tree, say, timed
from services.domain.models import Workspace, workspace_id_for
from services.ingestor.assembly import build_ingestion
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from services.storage.postgres.adapter import PostgresStorage
from services.storage.postgres.embedded import EmbeddedPostgres
from tests.support.grpc_server import settings_for


def baseline(root: Path) -> float:
    """Seconds for SimpleDirectoryReader + CodeSplitter over every .py file under root."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import CodeSplitter

    with timed() as elapsed:
        documents = SimpleDirectoryReader(input_dir=str(root), recursive=True,
                                          required_exts=[".py"]).load_data()
        splitter = CodeSplitter(language="python")
        chunks = failed = 0
        for doc in documents:
            try:
                chunks += len(splitter.split_text(doc.text))
            except ValueError:  # CodeSplitter gives up on files with syntax errors
                failed += 1
    say(f"baseline: {len(documents)} files -> {chunks} chunks ({failed} files it could not "
        "split)")
    return elapsed[0]


async def ingest_twice(storage: Storage, root: Path, workers: int) -> tuple[float, float, dict]:
    settings = settings_for(root, INGEST_PARSE_WORKERS=str(workers),
                            INGEST_INCLUDE_EXTENSIONS=".py")
    workspace = Workspace(id=workspace_id_for(str(root)), root=str(root))
    await storage.upsert_workspace(workspace)
    ingestion = build_ingestion(settings, storage)
    try:
        runs = []
        for _ in range(2):
            with timed() as elapsed:
                job, _ = await ingestion.jobs.start(workspace, full=False)
                job = await ingestion.jobs.wait(job.id)
            runs.append((elapsed[0], job))
            assert job.counts.get("files_failed", 0) == 0, job.message
        (full, first), (noop, _) = runs
        return full, noop, first.counts
    finally:
        await ingestion.close()


def report(name: str, files: int, size: int, seconds: float, base: float, cores: int) -> None:
    mb = size / 1e6
    say(f"{name:<28} {seconds:7.2f} s  {files / seconds:8.0f} files/s  {mb / seconds:6.2f} MB/s"
        f"  {mb / seconds / cores:5.2f} MB/s/core  {base / seconds:5.2f}x baseline")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="files in the tree")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="parse processes (default: every core)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-"))
    try:
        tree = work / "tree"
        files, size = copy_tree(tree, args.files)
        say(f"tree: {files} real .py files, {size / 1e6:.1f} MB; {args.workers} parse workers; "
            f"{os.cpu_count()} cores")
        base = baseline(tree)
        report("baseline (1 process)", files, size, base, base, 1)

        memory_full, memory_noop, counts = await ingest_twice(MemoryStorage(), tree,
                                                              args.workers)
        say(f"indexed: {counts['files_persisted']} files, {counts['chunks_persisted']} chunks")
        report("knowport full, memory", files, size, memory_full, base, args.workers)

        server = EmbeddedPostgres(work / "pg")
        storage = PostgresStorage(await asyncio.to_thread(server.start))
        try:
            await storage.open()
            pg_full, pg_noop, _ = await ingest_twice(storage, tree, args.workers)
        finally:
            await storage.close()
            await asyncio.to_thread(server.stop)
        report("knowport full, postgres", files, size, pg_full, base, args.workers)
        say(f"no-op re-run of {files} files: memory {memory_noop:.2f} s, "
            f"postgres {pg_noop:.2f} s (target < 2 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
