"""Local embedding speed and quality: the ONNX Runtime engine (EMBEDDING_BACKEND=local, fp32 and
int8) beside today's sentence-transformers path (EMBEDDING_BACKEND=local-st), same chunks, one run.

    .venv/bin/python -m bench.embed [--packages rich,click] [--rounds 2]

The chunks are real code nobody here wrote: installed packages copied without docstrings (as
bench/retrieval.py builds them) and split by the real pipeline. Each engine embeds every chunk
through the Embedder port, in the batches the pipeline's embed stage sends, after its model
has loaded; the best of `--rounds` alternating rounds counts, as other work shares the CPU.

Reported per engine: chunks/s and its ratio to sentence-transformers; mean and lowest cosine of
its vectors to sentence-transformers' (int8 must keep a mean >= 0.99); MRR@10 of the
docstring -> function queries ranked by cosine over the same chunks (each documented
function's first docstring sentence; its answer is the chunk holding its `def`). Targets: the
default engine >= 3x the chunks/s of sentence-transformers, MRR@10 not lower.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bench.retrieval import Query, copy_package, relevant
from bench.workloads import say, timed
from services.domain.models import Chunk
from services.ingestor.embed import Embedder, LocalEmbedder, batched, embedding_text
from services.ingestor.onnx_embedder import OnnxEmbedder
from services.storage.memory import MemoryStorage
from tests.support.grpc_server import settings_for
from tests.support.workspaces import index

BASELINE = "sentence-transformers (local-st)"


async def corpus(packages: str, tree: Path) -> tuple[list[Chunk], list[Query]]:
    queries = [q for package in packages.split(",") for q in copy_package(package, tree)]
    storage = MemoryStorage()
    workspace, _ = await index(settings_for(tree, INGEST_INCLUDE_EXTENSIONS=".py"), storage)
    chunks = [c async for batch in storage.iter_chunks(workspace.id) for c in batch]
    return chunks, queries


async def embed_all(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    """The vectors of `texts` and the seconds they took, in the embed stage's batches."""
    vectors: list[list[float]] = []
    with timed() as took:
        for batch in batched(texts, embedder.batch_size):
            vectors.extend(await embedder.embed(batch))
    return np.asarray(vectors, dtype=np.float32), took[0]


def mrr10(query_vectors: np.ndarray, chunk_vectors: np.ndarray, queries: list[Query],
          chunks: list[Chunk]) -> float:
    total = 0.0
    for query, scores in zip(queries, query_vectors @ chunk_vectors.T, strict=True):
        top = np.argsort(-scores)[:10]
        rank = next((i for i, c in enumerate(top, start=1) if relevant(query, chunks[c])), None)
        total += 1.0 / rank if rank else 0.0
    return total / max(len(queries), 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default="rich,click")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-embed-"))
    try:
        chunks, queries = await corpus(args.packages, work / "tree")
        texts = [embedding_text(c) for c in chunks]
        say(f"{args.packages}: {len(chunks)} chunks ({sum(map(len, texts)) / len(texts):.0f} "
            f"characters on average), {len(queries)} docstring queries")
        engines: dict[str, Embedder] = {
            BASELINE: LocalEmbedder(),
            "onnx fp32 (local, fp32)": OnnxEmbedder(work / "models", "fp32"),
            "onnx int8 (local, default)": OnnxEmbedder(work / "models", "int8"),
        }
        for name, embedder in engines.items():  # load (and export) before any timing
            with timed() as took:
                await embedder.embed(texts[:8])
            say(f"{name}: model ready in {took[0]:.1f} s")
        best: dict[str, float] = {}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(args.rounds):
            for name, embedder in engines.items():
                vectors[name], seconds = await embed_all(embedder, texts)
                best[name] = max(best.get(name, 0.0), len(texts) / seconds)
        mrr = {}
        for name, embedder in engines.items():
            query_vectors, _ = await embed_all(embedder, [q.text for q in queries])
            mrr[name] = mrr10(query_vectors, vectors[name], queries, chunks)
        report(best, vectors, mrr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(best: dict[str, float], vectors: dict[str, np.ndarray],
           mrr: dict[str, float]) -> None:
    say(f"\n{'engine':<30}{'chunks/s':>10}{'vs st':>8}{'cos mean':>10}{'cos min':>9}"
        f"{'MRR@10':>8}")
    for name in best:
        cosines = np.sum(vectors[name] * vectors[BASELINE], axis=1)
        say(f"{name:<30}{best[name]:>10.1f}{best[name] / best[BASELINE]:>7.2f}x"
            f"{cosines.mean():>10.4f}{cosines.min():>9.4f}{mrr[name]:>8.3f}")
    default = "onnx int8 (local, default)"
    fp32 = np.sum(vectors[default] * vectors["onnx fp32 (local, fp32)"], axis=1).mean()
    speed = best[default] / best[BASELINE]
    say(f"\ntargets: int8 mean cosine to fp32 {fp32:.4f} (>= 0.99: "
        f"{'met' if fp32 >= 0.99 else 'MISSED'}); default engine {speed:.2f}x the chunks/s of "
        f"sentence-transformers (>= 3x: {'met' if speed >= 3 else 'MISSED'}); MRR@10 "
        f"{mrr[default]:.3f} vs {mrr[BASELINE]:.3f} (not lower: "
        f"{'met' if mrr[default] >= mrr[BASELINE] else 'MISSED'})")


if __name__ == "__main__":
    asyncio.run(main())
