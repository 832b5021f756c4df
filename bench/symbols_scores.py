"""Scoring knowport's FindReferences and GetCallGraph answers against jedi's (the oracle).

References match by (file, line): jedi puts the reference of `from m import f as f` on the
alias, knowport on the imported name, and both are the same use. A miss is put down to
extraction when no reference of that name was recorded on that line at all, and to
resolution otherwise (recorded, but resolved elsewhere, ambiguous or unresolved).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.symbols_oracle import Oracle, Truth
from bench.workloads import say
from knowport.v1 import knowledge_service_pb2 as pb
from services.storage.port import Storage
from tests.support.grpc_server import running_server

Line = tuple[str, int]  # path, line
EXAMPLES = 8  # misses and false hits printed per package, to say why


@dataclass
class Score:
    hits: int = 0
    answered: int = 0
    true: int = 0

    def add(self, answer: set, truth: set) -> None:
        self.hits += len(answer & truth)
        self.answered += len(answer)
        self.true += len(truth)

    def __iadd__(self, other: Score) -> Score:
        self.hits += other.hits
        self.answered += other.answered
        self.true += other.true
        return self

    def text(self) -> str:
        precision = self.hits / self.answered if self.answered else 1.0
        recall = self.hits / self.true if self.true else 1.0
        return f"P {precision:.3f} R {recall:.3f} ({self.hits}/{self.answered}/{self.true})"


@dataclass
class PackageScores:
    package: str
    references: Score = field(default_factory=Score)
    references_any: Score = field(default_factory=Score)  # ambiguous answers counted too
    calls: Score = field(default_factory=Score)
    calls_any: Score = field(default_factory=Score)
    extracted: Score = field(default_factory=Score)  # jedi's references recorded at all
    causes: Counter = field(default_factory=Counter)
    # Resolved answers by how the name was written: (true, all) per form.
    forms: dict[str, list[int]] = field(default_factory=dict)

    def row(self) -> str:
        return (f"references {self.references.text()}, +ambiguous "
                f"{self.references_any.text()}; call edges {self.calls.text()}, +ambiguous "
                f"{self.calls_any.text()}; extracted R "
                f"{self.extracted.hits / max(self.extracted.true, 1):.3f}; "
                f"causes {dict(self.causes)}; resolved answers right/all by form "
                f"{ {form: f'{t}/{n}' for form, (t, n) in sorted(self.forms.items())} }")

    @staticmethod
    def pooled(results: list[PackageScores]) -> PackageScores:
        total = PackageScores("pooled")
        for r in results:
            for name in ("references", "references_any", "calls", "calls_any", "extracted"):
                getattr(total, name).__iadd__(getattr(r, name))
            total.causes.update(r.causes)
            for form, (t, n) in r.forms.items():
                counts = total.forms.setdefault(form, [0, 0])
                counts[0] += t
                counts[1] += n
        return total


async def _references(stub, request: pb.FindReferencesRequest) -> list[tuple[str, pb.Reference]]:
    found, token = [], ""
    while True:
        request.page_token, request.page_size = token, 500
        page = await stub.FindReferences(request, timeout=60)
        found += [(f.path, r) for f in page.files for r in f.references]
        token = page.next_page_token
        if not token:
            return found


async def _callers(stub, truth: Truth) -> tuple[set, set]:
    graph = await stub.GetCallGraph(pb.GetCallGraphRequest(
        qualified_name=truth.target.qualified_name, path=truth.target.path,
        direction=pb.CALL_DIRECTION_CALLERS, depth=1, max_nodes=200), timeout=60)
    resolved, any_ = set(), set()
    for edge in graph.edges:
        if edge.callee != 0:
            continue
        node = graph.nodes[edge.caller].definition
        if node.kind == pb.SYMBOL_KIND_MODULE or not node.qualified_name:
            continue  # top-level code: jedi's side leaves it out too
        any_.add((node.path, node.qualified_name))
        if not edge.ambiguous:
            resolved.add((node.path, node.qualified_name))
    return resolved, any_


async def score_package(storage: Storage, root: Path, package: str, oracle: Oracle,
                        truths: list[Truth]) -> PackageScores:
    scores = PackageScores(package)
    examples: list[str] = []
    async with running_server(storage, root) as server:
        stub = server.knowledge
        for truth in truths:
            target = truth.target
            answers = await _references(stub, pb.FindReferencesRequest(
                qualified_name=target.qualified_name, path=target.path))
            resolved_refs = {(p, r.line): r for p, r in answers
                             if r.resolution == pb.RESOLUTION_RESOLVED}
            resolved = set(resolved_refs)
            any_ = {(p, r.line) for p, r in answers}
            name = target.qualified_name.rsplit(".", 1)[-1]
            by_name = await _references(stub, pb.FindReferencesRequest(name=name))
            recorded = {(p, r.line): r for p, r in by_name}
            truth_lines = {(p, line) for p, line, _ in truth.references}
            scores.references.add(resolved, truth_lines)
            scores.references_any.add(any_, truth_lines)
            scores.extracted.add(set(recorded), truth_lines)
            callers, callers_any = await _callers(stub, truth)
            scores.calls.add(callers, truth.callers)
            scores.calls_any.add(callers_any, truth.callers)
            for line, ref in resolved_refs.items():
                counts = scores.forms.setdefault(_form(ref), [0, 0])
                counts[0] += line in truth_lines
                counts[1] += 1
            for line in sorted(truth_lines - resolved):
                ref = recorded.get(line)
                cause = "extraction" if ref is None else f"resolution:{_state(ref)}"
                scores.causes[f"miss {cause}"] += 1
                examples.append(f"  miss ({cause}) {target.qualified_name}: "
                                f"{line[0]}:{line[1]}: {oracle.line((*line, 0))[:90]}")
            for line in sorted(resolved - truth_lines):
                scores.causes["false hit"] += 1
                ref = resolved_refs[line]
                written = f"{ref.qualifier}.{ref.name}".lstrip(".")
                examples.append(f"  false hit {target.qualified_name}: {line[0]}:{line[1]}: "
                                f"`{written}` ({pb.ReferenceKind.Name(ref.kind)[15:].lower()})"
                                f": {oracle.line((*line, 0))[:80]}")
    for example in examples[:EXAMPLES * 2]:
        say(example)
    return scores


def _form(ref: pb.Reference) -> str:
    """How the name was written (`f`, `self.f`, `a.b.f`) and used (call, import, ...)."""
    kind = pb.ReferenceKind.Name(ref.kind).removeprefix("REFERENCE_KIND_").lower()
    if not ref.qualifier:
        return f"bare {kind}"
    if ref.qualifier in ("self", "cls", "super()"):
        # In the class that defines the target, or in another one (a subclass, or a class
        # that only shares the attribute's name).
        same = ref.scope.split(".", 1)[0] == ref.target.qualified_name.split(".", 1)[0]
        return f"self {kind} {'in its class' if same else 'elsewhere'}"
    return f"qualified {kind}"


def _state(ref: pb.Reference) -> str:
    if ref.resolution == pb.RESOLUTION_RESOLVED:
        return f"to {ref.target.qualified_name}"
    return pb.Resolution.Name(ref.resolution).removeprefix("RESOLUTION_").lower()
