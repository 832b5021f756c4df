"""Local embedding speed and quality: the ONNX Runtime engine (EMBEDDING_BACKEND=local, fp32 and
int8) beside today's sentence-transformers path (EMBEDDING_BACKEND=local-st), same chunks, one run.

    .venv/bin/python -m bench.embed [--packages rich,click,jinja2] [--rounds 1]
                                    [--budgets 1024,2048,8192] [--caps 128]

The chunks are real code nobody here wrote: installed packages copied without docstrings (as
bench/retrieval.py builds them) and split by the real pipeline, one data set per package,
reported separately. Each engine embeds the chunks through the Embedder port, in the batches the
pipeline's embed stage sends, after its model has loaded.

Fair under drifting load (other work shares the CPU): the engines take turns slice by slice over
the same chunks (slice i by every engine, then slice i + 1, the first engine rotating), and each
engine's time is its total over all slices, so a busy spell falls on all engines alike.

Reported per data set and engine: chunks/s and its ratio to sentence-transformers (wall time,
and CPU time of the process as a check that is less sensitive to load); mean and lowest cosine
of its vectors to sentence-transformers'; MRR@10 of the docstring -> function queries ranked by
cosine over the same chunks (each documented function's first docstring sentence; its answer is
the chunk holding its `def`). `--budgets` adds int8 engines with other padded-token budgets per
forward pass (the batch-size sweep), `--caps` int8 engines that cut inputs elsewhere than the
256 word pieces sentence-transformers reads (all-MiniLM-L6-v2 was trained at 128).
Targets: int8 mean cosine to fp32 >= 0.99, the default engine >= 3x the chunks/s of
sentence-transformers, MRR@10 not lower.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.retrieval import Query, copy_package, relevant
from bench.workloads import say
from services.domain.models import Chunk
from services.inference.embedder import Embedder, batched
from services.inference.onnx_embedder import DEFAULT_MAX_TOKENS, TOKEN_BUDGET, OnnxEmbedder
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.embed import embedding_text
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import settings_for
from tests.support.workspaces import index

BASELINE = "sentence-transformers (local-st)"
FP32 = "onnx fp32 (local, fp32)"
DEFAULT = "onnx int8 (local, default)"


@dataclass
class Timing:
    """One engine's totals over the interleaved slices."""

    wall: float = 0.0
    cpu: float = 0.0
    chunks: int = 0
    vectors: list[np.ndarray] = field(default_factory=list)


async def corpus(package: str, tree: Path) -> tuple[list[Chunk], list[Query]]:
    queries = copy_package(package, tree)
    storage = MemoryStorage()
    workspace, _ = await index(settings_for(tree, INGEST_INCLUDE_EXTENSIONS=".py"), storage)
    chunks = [c async for batch in storage.iter_chunks(workspace.id) for c in batch]
    return chunks, queries


async def embed_all(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """The vectors of `texts`, in the embed stage's batches."""
    vectors: list[list[float]] = []
    for batch in batched(texts, embedder.batch_size):
        vectors.extend(await embedder.embed(batch))
    return np.asarray(vectors, dtype=np.float32)


async def interleaved(engines: dict[str, Embedder], texts: list[str], slice_size: int,
                      rounds: int) -> dict[str, Timing]:
    """Every engine over every slice, taking turns; vectors are kept from the first round."""
    timings = {name: Timing() for name in engines}
    names = list(engines)
    turn = 0
    for round_ in range(rounds):
        for part in batched(texts, slice_size):
            for name in names[turn % len(names):] + names[:turn % len(names)]:
                wall, cpu = time.perf_counter(), time.process_time()
                vectors = await embed_all(engines[name], list(part))
                timing = timings[name]
                timing.wall += time.perf_counter() - wall
                timing.cpu += time.process_time() - cpu
                timing.chunks += len(part)
                if round_ == 0:
                    timing.vectors.append(vectors)
            turn += 1
    return timings


def mrr10(query_vectors: np.ndarray, chunk_vectors: np.ndarray, queries: list[Query],
          chunks: list[Chunk]) -> float:
    total = 0.0
    for query, scores in zip(queries, query_vectors @ chunk_vectors.T, strict=True):
        top = np.argsort(-scores)[:10]
        rank = next((i for i, c in enumerate(top, start=1) if relevant(query, chunks[c])), None)
        total += 1.0 / rank if rank else 0.0
    return total / max(len(queries), 1)


def build_engines(models: Path, budgets: list[int],
                  caps: list[int]) -> dict[str, Embedder]:
    engines: dict[str, Embedder] = {
        BASELINE: LocalEmbedder(),
        FP32: OnnxEmbedder(models, "fp32"),
        DEFAULT: OnnxEmbedder(models, "int8"),
    }
    for budget in budgets:
        engines[f"onnx int8, {budget} tokens/pass"] = OnnxEmbedder(models, "int8",
                                                                   token_budget=budget)
    for cap in caps:
        engines[f"onnx int8, cut at {cap} tokens"] = OnnxEmbedder(models, "int8", cap)
    return engines


async def data_set(package: str, work: Path, engines: dict[str, Embedder], slice_size: int,
                   rounds: int) -> bool:
    """One package's table; True when every target is met."""
    chunks, queries = await corpus(package, work / package)
    texts = [embedding_text(c) for c in chunks]
    say(f"\n{package}: {len(chunks)} chunks ({sum(map(len, texts)) / len(texts):.0f} characters "
        f"on average), {len(queries)} docstring queries, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    timings = await interleaved(engines, texts, slice_size, rounds)
    vectors = {name: np.vstack(t.vectors) for name, t in timings.items()}
    mrr = {name: mrr10(await embed_all(embedder, [q.text for q in queries]), vectors[name],
                       queries, chunks) for name, embedder in engines.items()}
    return report(timings, vectors, mrr)


def report(timings: dict[str, Timing], vectors: dict[str, np.ndarray],
           mrr: dict[str, float]) -> bool:
    base = timings[BASELINE]
    say(f"{'engine':<34}{'chunks/s':>9}{'vs st':>8}{'(CPU)':>8}{'cos mean':>10}{'cos min':>9}"
        f"{'MRR@10':>8}")
    for name, t in timings.items():
        cosines = np.sum(vectors[name] * vectors[BASELINE], axis=1)
        say(f"{name:<34}{t.chunks / t.wall:>9.1f}{base.wall / t.wall:>7.2f}x"
            f"{base.cpu / t.cpu:>7.2f}x{cosines.mean():>10.4f}{cosines.min():>9.4f}"
            f"{mrr[name]:>8.3f}")
    fidelity = float(np.sum(vectors[DEFAULT] * vectors[FP32], axis=1).mean())
    speed = base.wall / timings[DEFAULT].wall
    met = [fidelity >= 0.99, speed >= 3, mrr[DEFAULT] >= mrr[BASELINE]]
    say(f"targets: int8 mean cosine to fp32 {fidelity:.4f} (>= 0.99: {_word(met[0])}); "
        f"default engine {speed:.2f}x the chunks/s of sentence-transformers (>= 3x: "
        f"{_word(met[1])}); MRR@10 {mrr[DEFAULT]:.3f} vs {mrr[BASELINE]:.3f} (not lower: "
        f"{_word(met[2])})")
    return all(met)


def _numbers(listed: str) -> list[int]:
    return [int(n) for n in listed.split(",") if n]


def _word(met: bool) -> str:
    return "met" if met else "MISSED"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default="rich,click,jinja2")
    parser.add_argument("--rounds", type=int, default=1)
    # Small turns follow the load closely; they hand ONNX 64 texts per call instead of the
    # embed stage's 256, which if anything understates it (less to sort by length).
    parser.add_argument("--slice", type=int, default=64, help="chunks per turn")
    parser.add_argument("--budgets", default="",
                        help=f"extra int8 token budgets to sweep (default {TOKEN_BUDGET})")
    parser.add_argument("--caps", default="",
                        help=f"extra int8 input caps in tokens (default {DEFAULT_MAX_TOKENS})")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-embed-"))
    try:
        engines = build_engines(work / "models", _numbers(args.budgets), _numbers(args.caps))
        for name, embedder in engines.items():  # load (and export) before any timing
            started = time.perf_counter()
            await embedder.embed(["def warm_up(): pass"] * 8)
            say(f"{name}: model ready in {time.perf_counter() - started:.1f} s")
        met = [await data_set(package, work, engines, args.slice, args.rounds)
               for package in args.packages.split(",")]
        say(f"\nall targets met on {sum(met)} of {len(met)} data sets")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
