"""Code-search quality on installed packages nobody here wrote, on both storage backends,
beside an off-the-shelf baseline in the same run.

    .venv/bin/python -m bench.retrieval [--packages click,rich,...] [--part report|tune|all]
        [--max-queries 150] [--backends memory,postgres] [--tune] [--calibrate]
        [--def-line-only] [--named 1,0] [--trust 0.5] [--coverage 1] [--tune-named]

Built offline from the source of installed packages:
- each package is copied with every docstring removed and indexed by the real pipeline
  (parse, embeddings from the local all-MiniLM-L6-v2, no LLM) into its own workspace, once in
  memory and once in an embedded PostgreSQL (as bench/ingest.py starts it);
- docstring set: each documented function's first docstring sentence is a query, its answer
  the chunk holding its `def` line (the copy has no docstrings, so the answer is never found
  by its own words), or any later piece of that function when it is cut into pieces (over
  80 lines, services/ingestor/parse_code.py): a piece says its function and span, as the
  whole function did; `--def-line-only` counts the first piece alone;
- question set: hand-written "how / where / why" questions with their answer (path and
  symbol), written by reading the code, in bench/questions/<package>.jsonl;
- identifier set: a function's or method's name, alone or in a short sentence ("where is
  `Router.url_path_for` defined"), its answer the chunk of its `def` line
  (bench/retrieval_identifiers.py).

Hybrid may boost the definitions a query names (services/knowledge/named.py); `--named`
sets that boost's weights (queries that are names, sentences), and the tables then add
hybrid without it ("hybrid no-named") beside it; likewise `--trust` (fusion.py's per-query
trust of a sentence's rankings) and "hybrid no-trust", and `--coverage` (the lexical weight
of a sentence whose best lexical hit holds its words) and "hybrid no-coverage".

Every set is split by a stable hash (of the answer's file for docstring queries, of the
question for hand-written ones) into a tune part (one in three) and a report part; fusion
and the no-match threshold are tuned on the tune part only, and the tables show the report
part unless --part says otherwise.

Per set and pooled: R@1, R@10, MRR@10 with its bootstrap 95 % interval, MRR@10 counting no
answer longer than 80 lines, and the median length of the hits shown (top 10), for knowport's
lexical, semantic and hybrid rankings on each backend and for the baseline: bm25s, cosine
over the same vectors, and the two fused by reciprocal rank fusion (k=60).

Chunk and query vectors are cached by content hash under .bench-cache/ (gitignored): the
first run embeds a few thousand chunks (minutes), reruns only what changed.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import random
import re
import shutil
import sysconfig
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.retrieval_support import Baseline, Outcome, VectorCache, summary
from bench.workloads import say, timed
from services.domain.models import Chunk, SearchFilters, content_hash
from services.inference.embedder import Embedder
from services.inference.llm import OpenGate
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.embed import embedding_text
from services.knowledge.fusion import DEFAULT_FUSION, Fusion, query_is_identifier
from services.knowledge.named import named_in
from services.knowledge.search import Mode, Searcher, SearchQuery
from services.storage.memory.adapter import MemoryStorage
from services.storage.port import Storage
from tests.support.grpc_server import settings_for
from tests.support.workspaces import index

PACKAGES = "click,rich,jinja2,httpx,attr,starlette"
QUESTIONS = Path(__file__).parent / "questions"
DEPTH = 10
ABLATIONS = ("trust", "coverage")  # Fusion's per-query weightings of a sentence's rankings


@dataclass(frozen=True)
class Query:
    text: str
    path: str  # workspace-relative file of the answer
    line: int  # its `def` / `class` line in the docstring-free copy
    tune: bool  # in the tune part of its set
    symbol: str = ""  # its qualified name (`Class.method`), as chunks name it
    end: int = 0  # its last line in the copy


def tune_part(key: str) -> bool:
    return zlib.crc32(key.encode()) % 3 == 0


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


def qualified_defs(tree: ast.AST, classes: bool = False) -> dict[str, list[ast.AST]]:
    """Functions (and with `classes`, classes) by qualified name: `Class.method`."""
    found: dict[str, list[ast.AST]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(prefix + child.name, []).append(child)
            elif isinstance(child, ast.ClassDef):
                if classes:
                    found.setdefault(prefix + child.name, []).append(child)
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return found


def package_root(package: str) -> Path:
    site = Path(sysconfig.get_paths()["purelib"])
    return site / package if (site / package).exists() else Path(
        sysconfig.get_paths()["stdlib"]) / package


def copy_package(package: str, target: Path) -> list[Query]:
    """Copy one package's .py files without docstrings under `target`; its docstring queries."""
    base = package_root(package)
    queries: list[Query] = []
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts or "test" in path.name:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            stripped = strip_docstrings(source)
            stripped_defs = qualified_defs(ast.parse(stripped))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        rel = f"{package}/{path.relative_to(base).as_posix()}"
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(stripped, encoding="utf-8")
        for name, nodes in qualified_defs(tree).items():
            doc = ast.get_docstring(nodes[0]) if len(nodes) == 1 else None
            if not doc or len(stripped_defs.get(name, [])) != 1:
                continue
            sentence = _first_sentence(doc)
            if len(sentence.split()) >= 4:
                node = stripped_defs[name][0]
                queries.append(Query(sentence, rel, node.lineno, tune_part(rel), name,
                                     node.end_lineno or node.lineno))
    counts: dict[str, int] = {}
    for q in queries:
        counts[q.text] = counts.get(q.text, 0) + 1
    return [q for q in queries if counts[q.text] == 1]  # one sentence for two: ambiguous


def load_questions(package: str, tree: Path) -> list[Query]:
    """The hand-written questions of a package, each answer checked against the copy: its
    file must exist and define the symbol (typing overloads: the last definition, the one that
    runs)."""
    file = QUESTIONS / f"{package}.jsonl"
    if not file.exists():
        return []
    queries = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        source = tree / item["path"]
        defs = qualified_defs(ast.parse(source.read_text(encoding="utf-8")), classes=True)
        nodes = defs.get(item["symbol"], [])
        if not nodes:
            raise SystemExit(f"{file}:{number}: {item['path']} does not define "
                             f"{item['symbol']}")
        queries.append(Query(item["question"], item["path"], nodes[-1].lineno,
                             tune_part(item["question"]), item["symbol"],
                             nodes[-1].end_lineno or nodes[-1].lineno))
    return queries


PIECES = True  # a later piece of the answer function counts too (module doc)
FUNCTION_KINDS = ("function", "method")


def relevant(query: Query, chunk: Chunk) -> bool:
    if chunk.path != query.path:
        return False
    if chunk.start_line <= query.line <= chunk.end_line:
        return True
    return (PIECES and chunk.kind in FUNCTION_KINDS and chunk.symbol == query.symbol
            and query.line < chunk.start_line <= query.end)


def lines(chunk: Chunk) -> int:
    return chunk.end_line - chunk.start_line + 1


def outcome(query: Query, hits: Sequence[Chunk]) -> Outcome:
    rank = next((i for i, c in enumerate(hits[:DEPTH], start=1) if relevant(query, c)), None)
    answer = lines(hits[rank - 1]) if rank else 0
    return Outcome(rank, answer, tuple(lines(c) for c in hits[:DEPTH]))


class CachedQueries:
    """The query embedder the Searcher sees: vectors computed up front (and cached)."""

    def __init__(self, model: str, vectors: dict[str, tuple[float, ...]]) -> None:
        self.model = model
        self.ready = True
        self._vectors = vectors

    async def embed(self, text: str) -> tuple[float, ...]:
        return self._vectors[text]


@dataclass
class Indexed:
    storage: Storage
    workspace_id: str
    chunks: list[Chunk]


async def index_package(storage: Storage, tree: Path, cache: VectorCache) -> Indexed:
    await cache.seed(storage)
    settings = settings_for(tree, EMBEDDING_BACKEND="local", INGEST_INCLUDE_EXTENSIONS=".py")
    workspace, _ = await index(settings, storage)
    chunks = [c async for batch in storage.iter_chunks(workspace.id) for c in batch]
    await cache.collect(storage, [content_hash(embedding_text(c)) for c in chunks])
    cache.save()
    return Indexed(storage, workspace.id, chunks)


async def knowport_outcomes(indexed: Indexed, searcher: Searcher, mode: Mode,
                            queries: Sequence[Query]) -> list[Outcome]:
    result = []
    for query in queries:
        page = await searcher.search(SearchQuery(indexed.workspace_id, query.text, mode,
                                                 SearchFilters(), 0, DEPTH))
        result.append(outcome(query, [h.chunk for h in page.hits]))
    return result


def baseline_outcomes(indexed: Indexed, cache: VectorCache, vectors: dict[str, tuple[float, ...]],
                      queries: Sequence[Query]) -> dict[str, list[Outcome]]:
    # The chunks' vectors are the ones ingest stored (storage lists chunks without them).
    base = Baseline(indexed.chunks, [cache.vector(content_hash(embedding_text(c)))
                                     for c in indexed.chunks])
    result: dict[str, list[Outcome]] = {"baseline bm25s": [], "baseline cosine": [],
                                        "baseline RRF": []}
    for q in queries:
        for name, order in (("baseline bm25s", base.lexical(q.text)),
                            ("baseline cosine", base.semantic(vectors[q.text])),
                            ("baseline RRF", base.rrf(q.text, vectors[q.text]))):
            result[name].append(outcome(q, [base.chunks[i] for i in order]))
    return result


def print_table(title: str, rows: dict[str, list[Outcome]]) -> None:
    say(f"\n{title}")
    say(f"  {'ranking':<26}{'n':>5}{'R@1':>7}{'R@10':>7}{'MRR@10':>8}{'95% CI':>15}"
        f"{'MRR≤80':>8}{'med.lines':>10}")
    for name, outcomes in rows.items():
        s = summary(outcomes)
        say(f"  {name:<26}{s['n']:>5}{s['R@1']:>7.3f}{s['R@10']:>7.3f}{s['MRR@10']:>8.3f}"
            f"  [{s['lo']:.3f},{s['hi']:.3f}]{s['MRR≤80']:>8.3f}{s['med.lines']:>10.0f}")


def check_targets(name: str, rows: dict[str, list[Outcome]], backends: Sequence[str]) -> None:
    """Hybrid against its best single mode and the baseline, and what the 80-line rule costs
    each: in MRR@10, and as a share of its MRR@10 (the baseline finds fewer answers, long
    ones too, so its cost is smaller also when it ranks long hits no lower)."""
    mrr = {k: summary(v)["MRR@10"] for k, v in rows.items()}
    cut = {k: summary(v)["MRR≤80"] for k, v in rows.items()}

    def cost(key: str) -> str:
        lost = mrr[key] - cut[key]
        return f"{lost:.3f} ({lost / mrr[key]:.1%})" if mrr[key] else "0.000"

    for backend in backends:
        hybrid = mrr[f"{backend} hybrid"]
        best = max(mrr[f"{backend} lexical"], mrr[f"{backend} semantic"])
        say(f"  {name} {backend}: hybrid - best single {hybrid - best:+.3f} (>= -0.005: "
            f"{'met' if hybrid >= best - 0.005 else 'MISSED'}); hybrid - baseline RRF "
            f"{hybrid - mrr['baseline RRF']:+.3f}; 80-line cost hybrid "
            f"{cost(f'{backend} hybrid')} vs baseline {cost('baseline RRF')}")


def nonsense_queries(count: int, seed: int = 7) -> list[str]:
    """Queries no code answers: everyday words in random order."""
    words = ["banana", "umbrella", "violin", "glacier", "pancake", "llama", "tuxedo",
             "volcano", "harmonica", "sunflower", "giraffe", "lighthouse", "marmalade",
             "saxophone", "tornado", "cupcake", "walrus", "meadow", "kayak", "porcupine",
             "spaghetti", "trombone", "avalanche", "pumpkin", "flamingo", "lullaby", "origami",
             "cathedral", "mango", "hedgehog"]
    rnd = random.Random(seed)
    return [" ".join(rnd.sample(words, rnd.randint(3, 6))) for _ in range(count)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default=PACKAGES)
    parser.add_argument("--max-queries", type=int, default=150,
                        help="docstring queries per package (hand-written ones: all)")
    parser.add_argument("--part", choices=("report", "tune", "all"), default="report")
    parser.add_argument("--backends", default="memory,postgres")
    parser.add_argument("--tune", action="store_true",
                        help="grids of fusion weights and of the length share's power on the "
                        "tune part (memory)")
    parser.add_argument("--calibrate", action="store_true",
                        help="top semantic scores of nonsense vs answered queries (tune part)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--def-line-only", action="store_true",
                        help="the answer is the chunk holding the def line, never a later piece")
    parser.add_argument("--named", default=f"{DEFAULT_FUSION.named_identifier},"
                        f"{DEFAULT_FUSION.named_natural}",
                        help="weights of the named-definition boost: for queries that are "
                        "names, for sentences (0,0: off)")
    parser.add_argument("--trust", type=float, default=DEFAULT_FUSION.trust,
                        help="per-query trust of a sentence's rankings (fusion.py; 0: off)")
    parser.add_argument("--coverage", type=float, default=DEFAULT_FUSION.coverage,
                        help="lexical weight gain of a sentence whose best lexical hit holds "
                        "its words (fusion.py; 0: off)")
    parser.add_argument("--max-identifiers", type=int, default=60,
                        help="identifier queries per package")
    parser.add_argument("--tune-named", action="store_true",
                        help="grid of the named-definition boost's weights on the tune part "
                        "(memory), per set kind")
    args = parser.parse_args()
    global PIECES
    PIECES = not args.def_line_only
    named_identifier, named_natural = map(float, args.named.split(","))
    fusion = replace(DEFAULT_FUSION, named_identifier=named_identifier,
                     named_natural=named_natural, trust=args.trust,
                     coverage=args.coverage)
    from bench.retrieval_identifiers import identifier_queries

    packages = args.packages.split(",")
    backends = args.backends.split(",")
    work = Path(tempfile.mkdtemp(prefix="knowport-retrieval-"))
    embedder = query_embedder(work)
    say(f"embedding model: {embedder.model}")
    cache = VectorCache(embedder.model)
    sets: dict[str, list[Query]] = {}
    indexed: dict[tuple[str, str], Indexed] = {}
    server = pg = None
    try:
        for package in packages:
            tree = work / package
            docstring = copy_package(package, tree)
            random.Random(args.seed).shuffle(docstring)
            sets[f"{package} docstrings"] = docstring[:args.max_queries]
            questions = load_questions(package, tree)
            if questions:
                sets[f"{package} questions"] = questions
            identifiers = identifier_queries(package, tree)
            random.Random(args.seed).shuffle(identifiers)
            sets[f"{package} identifiers"] = identifiers[:args.max_identifiers]
            with timed() as took:
                indexed[(package, "memory")] = await index_package(MemoryStorage(), tree, cache)
            say(f"{package}: {len(indexed[(package, 'memory')].chunks)} chunks indexed in "
                f"memory in {took[0]:.0f} s; {len(docstring)} docstring queries, "
                f"{len(questions)} questions, {len(identifiers)} identifier queries")
        if "postgres" in backends:
            pg, server = await start_postgres(work)
            for package in packages:
                with timed() as took:
                    indexed[(package, "postgres")] = await index_package(pg, work / package,
                                                                         cache)
                say(f"{package}: indexed in PostgreSQL in {took[0]:.0f} s")
        texts = [q.text for qs in sets.values() for q in qs] + nonsense_queries(60)
        vectors = await cache.texts(embedder, texts, say)
        queries_of = CachedQueries(embedder.model, vectors)
        if args.calibrate:
            await calibrate(sets, indexed, queries_of)
        if args.tune_named:
            await tune_named(sets, indexed, queries_of)
            return
        if args.tune:
            await tune(sets, indexed, queries_of)
            await tune_length(sets, indexed, queries_of)
            return
        await report(args.part, sets, indexed, queries_of, cache, vectors, backends, fusion)
    finally:
        if pg is not None:
            await pg.close()
            await asyncio.to_thread(server.stop)
        shutil.rmtree(work, ignore_errors=True)


def query_embedder(work: Path) -> Embedder:
    """The embedder ingest uses for chunks (so queries and chunks share one model)."""
    try:
        from services.ingestor.assembly import build_embedder
    except ImportError:  # a tree from before the embedder was chosen in one place
        return LocalEmbedder()
    embedder = build_embedder(settings_for(work, EMBEDDING_BACKEND="local"), OpenGate())
    assert embedder is not None
    return embedder


async def start_postgres(work: Path):
    from services.storage.postgres.adapter import PostgresStorage
    from services.storage.postgres.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(work / "pg")
    storage = PostgresStorage(await asyncio.to_thread(server.start))
    await storage.open()
    return storage, server


def part_of(queries: Sequence[Query], part: str) -> list[Query]:
    return [q for q in queries if part == "all" or q.tune == (part == "tune")]


async def report(part: str, sets: dict[str, list[Query]],
                 indexed: dict[tuple[str, str], Indexed], queries_of: CachedQueries,
                 cache: VectorCache, vectors, backends: Sequence[str],
                 fusion: Fusion = DEFAULT_FUSION) -> None:
    pooled: dict[str, dict[str, list[Outcome]]] = {}  # set kind -> ranking -> outcomes
    asked: dict[str, list[Query]] = {}  # set kind -> its queries, in the outcomes' order
    boosted = fusion.named_identifier or fusion.named_natural
    for name, queries in sets.items():
        package = name.split()[0]
        chosen = part_of(queries, part)
        rows: dict[str, list[Outcome]] = {}
        for backend in backends:
            target = indexed[(package, backend)]
            searcher = Searcher(target.storage, queries_of, fusion=fusion,
                                named=named_in(target.storage))
            for mode in (Mode.LEXICAL, Mode.SEMANTIC, Mode.HYBRID):
                rows[f"{backend} {mode.value}"] = await knowport_outcomes(target, searcher,
                                                                          mode, chosen)
            if boosted:
                plain = Searcher(target.storage, queries_of, fusion=fusion)
                rows[f"{backend} hybrid no-named"] = await knowport_outcomes(
                    target, plain, Mode.HYBRID, chosen)
            for knob in ABLATIONS:  # hybrid without each per-query weighting that is on
                if getattr(fusion, knob):
                    without = Searcher(target.storage, queries_of,
                                       fusion=replace(fusion, **{knob: 0.0}),
                                       named=named_in(target.storage))
                    rows[f"{backend} hybrid no-{knob}"] = await knowport_outcomes(
                        target, without, Mode.HYBRID, chosen)
        rows.update(baseline_outcomes(indexed[(package, "memory")], cache, vectors, chosen))
        print_table(f"{name} ({part} part)", rows)
        check_targets(name, rows, backends)
        into = pooled.setdefault(name.split()[1], {})
        for key, outcomes in rows.items():
            into.setdefault(key, []).extend(outcomes)
        asked.setdefault(name.split()[1], []).extend(chosen)
    for kind, rows in pooled.items():
        print_table(f"pooled {kind} ({part} part)", rows)
        check_targets(f"pooled {kind}", rows, backends)
    if "identifiers" in pooled:
        by_form(asked["identifiers"], pooled["identifiers"], part)


def by_form(queries: Sequence[Query], rows: dict[str, list[Outcome]], part: str) -> None:
    """The pooled identifier set per form of query: a name alone, a sentence whose name
    reads as code (so the boost applies), a sentence whose name is a plain word (it cannot)."""
    from bench.retrieval_identifiers import form_kind

    kinds = [form_kind(q.text) for q in queries]
    for kind in dict.fromkeys(sorted(kinds)):
        print_table(f"pooled identifiers, {kind} ({part} part)",
                    {key: [o for o, k in zip(outcomes, kinds, strict=True) if k == kind]
                     for key, outcomes in rows.items() if "hybrid" in key})


async def tune(sets, indexed, queries_of) -> None:
    """MRR@10 of hybrid for a grid of weights, per query shape, on the tune part."""
    grid = [(lex, sem, name) for lex in (0.5, 0.75, 1.0) for sem in (1.0, 1.5, 2.0)
            for name in (0.0, 0.5, 1.0)]
    for shape in ("natural", "identifier"):
        totals = {w: [] for w in grid}
        for name, queries in sets.items():
            package = name.split()[0]
            chosen = [q for q in part_of(queries, "tune")
                      if query_is_identifier(q.text) == (shape == "identifier")]
            target = indexed[(package, "memory")]
            for weights in grid:
                fusion = Fusion(natural=weights, identifier=weights)
                searcher = Searcher(target.storage, queries_of, fusion=fusion)
                totals[weights] += await knowport_outcomes(target, searcher, Mode.HYBRID,
                                                           chosen)
        ranked = sorted(grid, key=lambda w: -summary(totals[w])["MRR@10"])
        say(f"{shape} queries ({len(totals[grid[0]])} in the tune part), best weights "
            "(lexical, semantic, name):")
        for weights in ranked[:5]:
            say(f"  {weights}: MRR@10 {summary(totals[weights])['MRR@10']:.3f}")


async def tune_named(sets, indexed, queries_of) -> None:
    """MRR@10 of hybrid per set kind for a grid of the named-definition boost's weights
    (queries that are names, sentences), on the tune part (memory)."""
    grid = [(ident, natural) for ident in (0.0, 0.25, 0.5, 1.0, 2.0)
            for natural in (0.0, 0.25, 0.5, 1.0)]
    for weights in grid:
        fusion = replace(DEFAULT_FUSION, named_identifier=weights[0], named_natural=weights[1])
        kinds: dict[str, list[Outcome]] = {}
        for name, queries in sets.items():
            target = indexed[(name.split()[0], "memory")]
            searcher = Searcher(target.storage, queries_of, fusion=fusion,
                                named=named_in(target.storage))
            kinds.setdefault(name.split()[1], []).extend(await knowport_outcomes(
                target, searcher, Mode.HYBRID, part_of(queries, "tune")))
        say(f"named weights {weights}: " + "; ".join(
            f"{kind} ({len(o)}) MRR@10 {summary(o)['MRR@10']:.4f}" for kind, o in kinds.items()))


async def tune_length(sets, indexed, queries_of) -> None:
    """MRR@10 and MRR@10 over answers of at most 80 lines of hybrid, per set kind, for the
    power of a question's length share (priors.py; 0: no length share), on the tune part."""
    for power in (0.0, 1.0, 2.0, 3.0):
        kinds: dict[str, list[Outcome]] = {"docstrings": [], "questions": []}
        for name, queries in sets.items():
            target = indexed[(name.split()[0], "memory")]
            searcher = Searcher(target.storage, queries_of, fusion=Fusion(long_power=power))
            kinds[name.split()[1]] += await knowport_outcomes(
                target, searcher, Mode.HYBRID, part_of(queries, "tune"))
        say(f"length share power {power:.0f}: " + "; ".join(
            f"{kind} MRR@10 {summary(o)['MRR@10']:.4f}, ≤80 {summary(o)['MRR≤80']:.4f}"
            for kind, o in kinds.items()))


async def calibrate(sets, indexed, queries_of) -> None:
    """The best semantic score of nonsense queries beside that of answered tune queries."""
    answered, nonsense = [], []
    for name, queries in sets.items():
        target = indexed[(name.split()[0], "memory")]
        for q in part_of(queries, "tune"):
            top = await target.storage.search_semantic(target.workspace_id,
                                                       await queries_of.embed(q.text), 1)
            answered.append(top[0].score)
        for text in nonsense_queries(60):
            top = await target.storage.search_semantic(target.workspace_id,
                                                       await queries_of.embed(text), 1)
            nonsense.append(top[0].score)
    for label, values in (("answered", sorted(answered)), ("nonsense", sorted(nonsense))):
        q = [values[int(p * (len(values) - 1))] for p in (0.0, 0.05, 0.5, 0.95, 1.0)]
        say(f"{label:>9} ({len(values)}): min {q[0]:.3f} p5 {q[1]:.3f} median {q[2]:.3f} "
            f"p95 {q[3]:.3f} max {q[4]:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
