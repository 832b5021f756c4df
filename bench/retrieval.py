"""Code-search quality: lexical, semantic and hybrid search against a plain BM25 baseline.

    .venv/bin/python -m bench.retrieval [--packages rich,click] [--max-queries 800]

Built offline from real code on this machine, the source of installed packages:
- every documented function or method gives one query, the first sentence of its docstring
  (at least four words; a sentence that documents two functions is dropped as ambiguous);
- a copy of the packages with every docstring removed is indexed by the real pipeline (parse,
  then embeddings from the local all-MiniLM-L6-v2, no LLM), so the answer is never found by
  its own words;
- the relevant chunk of a query is the one that holds its function's `def` line.

It reports Recall@1/5/10 and MRR@10 for knowport's lexical, semantic and hybrid rankings (the
same code KnowledgeService runs) beside a plain BM25 baseline computed in the same run:
`bm25s` over the same chunks (path, symbol name and text, what knowport's lexical index reads)
with its default English tokenizer and stop words; every figure is also shown over the
baseline's. It then shows how hybrid MRR@10 moves with the fusion constant k, and without the
symbol-name ranking. Target: hybrid MRR@10 at least 0.05 above the better single mode and
above the baseline.

It takes about five minutes on two cores, most of it embedding the chunks.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import random
import re
import shutil
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.workloads import say, timed
from services.domain.models import Chunk, SearchFilters
from services.ingestor.embed import LocalEmbedder
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.search import RRF_K, Mode, Searcher, SearchQuery
from services.storage.memory import MemoryStorage
from tests.support.grpc_server import settings_for
from tests.support.workspaces import index

K = (1, 5, 10)
SENSITIVITY_K = (1, 2, 5, 10, 60)


@dataclass(frozen=True)
class Query:
    text: str
    path: str  # workspace-relative file of the documented function
    line: int  # its `def` line in the docstring-free copy


def _first_sentence(docstring: str) -> str:
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    sentence = re.split(r"(?<=[.!?])\s", " ".join(paragraph.split()), maxsplit=1)[0]
    return sentence.strip()


def _docstring_nodes(tree: ast.AST) -> list[ast.Expr]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                found.append(body[0])
    return found


def strip_docstrings(source: str) -> str:
    """The source with every docstring replaced by `pass` (still valid Python)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    data = source.encode()
    spans = sorted(((offsets[n.lineno - 1] + n.col_offset, offsets[n.end_lineno - 1]
                     + n.end_col_offset) for n in _docstring_nodes(tree)), reverse=True)
    for start, end in spans:
        data = data[:start] + b"pass" + data[end:]
    return data.decode()


def _qualified_defs(tree: ast.AST) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(prefix + child.name, []).append(child)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return found


def build_corpus(packages: list[str], target: Path) -> list[Query]:
    """Copy the packages' .py files without docstrings under `target`; return the queries."""
    site = Path(sysconfig.get_paths()["purelib"])
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    queries: list[Query] = []
    sentences: dict[str, int] = {}
    for package in packages:
        base = site / package if (site / package).exists() else stdlib / package
        for path in sorted(base.rglob("*.py")):
            if "__pycache__" in path.parts or "test" in path.name:
                continue
            try:
                source = path.read_text(encoding="utf-8")
                tree = ast.parse(source)
                stripped = strip_docstrings(source)
                stripped_defs = _qualified_defs(ast.parse(stripped))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            rel = f"{package}/{path.relative_to(base).as_posix()}"
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(stripped, encoding="utf-8")
            for name, nodes in _qualified_defs(tree).items():
                doc = ast.get_docstring(nodes[0]) if len(nodes) == 1 else None
                if not doc or len(stripped_defs.get(name, [])) != 1:
                    continue
                sentence = _first_sentence(doc)
                if len(sentence.split()) < 4:
                    continue
                sentences[sentence] = sentences.get(sentence, 0) + 1
                queries.append(Query(sentence, rel, stripped_defs[name][0].lineno))
    return [q for q in queries if sentences[q.text] == 1]


def relevant(query: Query, chunk: Chunk) -> bool:
    return chunk.path == query.path and chunk.start_line <= query.line <= chunk.end_line


def scores(ranks: list[int | None]) -> dict[str, float]:
    """Recall@k and MRR@10 from the 1-based rank of each query's answer (None: not found)."""
    n = len(ranks) or 1
    result = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in K}
    result["MRR@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return result


async def rank_with(searcher: Searcher, workspace_id: str, mode: Mode,
                    queries: list[Query]) -> list[int | None]:
    ranks = []
    for query in queries:
        page = await searcher.search(SearchQuery(workspace_id, query.text, mode, SearchFilters(),
                                                 0, 10))
        ranks.append(next((i for i, hit in enumerate(page.hits, start=1)
                           if relevant(query, hit.chunk)), None))
    return ranks


def bm25_ranks(chunks: list[Chunk], queries: list[Query]) -> list[int | None]:
    import bm25s

    retriever = bm25s.BM25()
    # The fields knowport's lexical index reads too (no LLM here, so no descriptions).
    texts = [f"{c.path}\n{c.symbol}\n{c.text}" for c in chunks]
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False),
                    show_progress=False)
    tokens = bm25s.tokenize([q.text for q in queries], stopwords="en", show_progress=False)
    found, _ = retriever.retrieve(tokens, k=10, show_progress=False, n_threads=1)
    ranks = []
    for query, row in zip(queries, found, strict=True):
        ranks.append(next((i for i, doc in enumerate(row, start=1)
                           if relevant(query, chunks[int(doc)])), None))
    return ranks


async def index_corpus(packages: str, tree: Path, max_queries: int,
                       seed: int) -> tuple[MemoryStorage, str, list[Chunk], list[Query]]:
    """The docstring-free copy indexed by the real pipeline, its chunks and the queries."""
    queries = build_corpus(packages.split(","), tree)
    random.Random(seed).shuffle(queries)
    queries = queries[:max_queries]
    storage = MemoryStorage()
    settings = settings_for(tree, EMBEDDING_BACKEND="local", INGEST_INCLUDE_EXTENSIONS=".py")
    with timed() as took:
        workspace, job = await index(settings, storage)
    chunks = [c async for batch in storage.iter_chunks(workspace.id) for c in batch]
    say(f"corpus: {packages}: {job.counts['files_persisted']} files without docstrings, "
        f"{len(chunks)} chunks, indexed with embeddings in {took[0]:.0f} s; "
        f"{len(queries)} queries")
    return storage, workspace.id, chunks, queries


def table(results: dict[str, dict[str, float]], baseline: str) -> None:
    """Each ranking's figures, then the same figures over the baseline's."""
    metrics = list(results[baseline])
    say("\n" + f"{'ranking':<20}" + "".join(f"{m:>8}" for m in metrics)
        + "".join(f"{m + '/b':>10}" for m in metrics))
    base = results[baseline]
    for name, values in results.items():
        say(f"{name:<20}" + "".join(f"{values[m]:>8.3f}" for m in metrics)
            + "".join(f"{values[m] / base[m]:>9.2f}x" for m in metrics))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default="rich,click",
                        help="installed packages (or standard library packages), comma-separated")
    parser.add_argument("--max-queries", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-retrieval-"))
    try:
        storage, workspace_id, chunks, queries = await index_corpus(
            args.packages, work / "tree", args.max_queries, args.seed)
        embedder = QueryEmbedder(LocalEmbedder(), cache_size=len(queries) + 1)
        await embedder.prime([q.text for q in queries])
        searcher = Searcher(storage, embedder)
        baseline = "bm25s (baseline)"
        results = {baseline: scores(bm25_ranks(chunks, queries))}
        for mode in (Mode.LEXICAL, Mode.SEMANTIC, Mode.HYBRID):
            with timed() as took:
                ranks = await rank_with(searcher, workspace_id, mode, queries)
            results[f"knowport {mode.value}"] = scores(ranks)
            say(f"{mode.value}: {len(queries)} queries in {took[0]:.1f} s")
        table(results, baseline)

        say(f"\nhybrid MRR@10 by the RRF constant k (the service uses k={RRF_K}):")
        for k in SENSITIVITY_K:
            ranks = await rank_with(Searcher(storage, embedder, rrf_k=k), workspace_id,
                                    Mode.HYBRID, queries)
            say(f"  k={k:<3} MRR@10 {scores(ranks)['MRR@10']:.3f}")
        # Weight 0 drops the symbol-name ranking: the plain two-way fusion.
        ranks = await rank_with(Searcher(storage, embedder, weights=(1.0, 1.0, 0.0)),
                                workspace_id, Mode.HYBRID, queries)
        say(f"  lexical + semantic only, no symbol-name ranking (k={RRF_K}): "
            f"MRR@10 {scores(ranks)['MRR@10']:.3f}")

        hybrid = results["knowport hybrid"]["MRR@10"]
        best_single = max(results["knowport lexical"]["MRR@10"],
                          results["knowport semantic"]["MRR@10"])
        base = results[baseline]["MRR@10"]
        say(f"\ntargets: hybrid MRR@10 - best single mode = {hybrid - best_single:+.3f} "
            f"(>= +0.05: {'met' if hybrid - best_single >= 0.05 else 'MISSED'}); "
            f"hybrid - baseline = {hybrid - base:+.3f} "
            f"(> 0: {'met' if hybrid > base else 'MISSED'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
