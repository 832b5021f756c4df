"""The identifier set of bench/retrieval.py: queries that name a function or method, the
answer its definition's chunk.

Derived offline from the docstring-free copy of each package, for every function and method
(dunders and tests left out) that the name written can denote in one place only: a function
by its bare name when no other function, method or class of the package has it; a method by
its bare name (when unique, every other one) or as `Class.method` (when that is unique). Each
answer gets one of three forms, by a stable hash of the name, so the set mixes what agents
write: the name alone (`parse_args`, `Router.url_path_for`), "where is NAME defined" and
"how does NAME work". A plain word in a sentence ("how does render work") is in the set
too: naming it cannot be told from prose, and the figures say what that costs.

Split like the docstring set, by a stable hash of the answer's file.
"""

from __future__ import annotations

import ast
import zlib
from collections import Counter
from pathlib import Path

from bench.retrieval import Query, qualified_defs, tune_part

FORMS = ("{}", "where is {} defined", "how does {} work")


def form_of(identifier: str) -> str:
    return FORMS[zlib.crc32(identifier.encode()) % len(FORMS)].format(identifier)


def form_kind(text: str) -> str:
    """How a query of this set names its answer: alone, or in a sentence as code (the boost
    applies: services/knowledge/named.py) or as a plain word (it cannot)."""
    from services.knowledge.named import named_identifiers

    if " " not in text:
        return "name alone"
    return "sentence, code-shaped name" if named_identifiers(text) else "sentence, plain word"


def _wanted(qualified: str) -> bool:
    name = qualified.rsplit(".", 1)[-1]
    return not (name.startswith("__") or name.startswith("test"))


def identifier_queries(package: str, tree: Path) -> list[Query]:
    """The identifier queries of one package copied under `tree` (module doc)."""
    defs: dict[str, list[tuple[str, int]]] = {}  # qualified name -> (file, def line)
    bare: Counter[str] = Counter()
    qualified: Counter[str] = Counter()
    for path in sorted((tree / package).rglob("*.py")):
        rel = path.relative_to(tree).as_posix()
        try:
            found = qualified_defs(ast.parse(path.read_text(encoding="utf-8")), classes=True)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for name, nodes in found.items():
            bare[name.rsplit(".", 1)[-1]] += len(nodes)
            qualified[name] += len(nodes)
            if not isinstance(nodes[0], ast.ClassDef) and len(nodes) == 1:
                defs.setdefault(name, []).append((rel, nodes[0].lineno))
    queries = []
    for name, places in sorted(defs.items()):
        if len(places) != 1 or not _wanted(name):
            continue
        short = name.rsplit(".", 1)[-1]
        method = "." in name
        if bare[short] == 1 and (not method or zlib.crc32(name.encode()) % 2 == 0):
            written = short
        elif method and qualified[name] == 1 and name.count(".") == 1:
            written = name
        else:
            continue
        rel, line = places[0]
        queries.append(Query(form_of(written), rel, line, tune_part(rel)))
    return queries
