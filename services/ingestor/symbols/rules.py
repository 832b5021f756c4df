"""How a language's syntax tree shows references and imports: tree-sitter query patterns.

A language's `Rules` are data: for each reference kind, query patterns that capture the
used name as `@name` and, where the name is qualified (`os.path.join`, `this.n`, `Util::f`),
the whole qualified expression as `@path` (the qualifier is the text of `@path` before the
name). Imports are patterns that capture `@module`, and optionally `@member` (a name taken
from it) and `@alias` (the local name given to it). Patterns are tried in the order of
REFERENCE_KINDS and, within a kind, in their order: a name captured twice keeps its first
capture, so a specific pattern goes before a general one (`a.b()` is a call, not `other`).

Definitions are not here: they come from the chunk walk's grammar tables
(services/ingestor/grammars.py), so a definition's name is its chunk's symbol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tree_sitter import Node

from services.domain.symbols import REFERENCE_KINDS


@dataclass(frozen=True, slots=True)
class Imported:
    """One name an import statement brings in, as a language-specific reader finds it."""

    local_name: str
    target: str  # dotted
    name_node: Node | None  # where the imported name is written (an `import` reference)
    qualifier: str = ""


# A reader for import statements a pattern cannot describe (Python's relative imports, Rust's
# nested `use` lists): (statement node, file source, file path) -> what it imports.
ImportReader = Callable[[Node, bytes, str], Iterable[Imported]]


@dataclass(frozen=True, slots=True)
class Rules:
    references: Mapping[str, tuple[str, ...]]  # reference kind -> query patterns
    imports: tuple[str, ...] = ()  # patterns with @module, @member?, @alias?
    # Node types of import statements read by `read_import` instead of patterns.
    import_statements: tuple[str, ...] = ()
    read_import: ImportReader | None = None
    # Node types of literals (strings, lists, numbers): a member used on one (`"".join`)
    # belongs to a builtin type and is not recorded.
    literals: frozenset[str] = frozenset()
    # Names every file sees without binding them (Python's builtins): a bare use of one
    # that the file neither imports nor defines means the builtin, never the workspace's,
    # and is not recorded (about one reference in eight in Python).
    builtins: frozenset[str] = frozenset()
    # True for a definition node that only declares what another one defines (Python's
    # `@overload` stubs), as a C `struct x;` does: it is not a definition of its own.
    declares_only: Callable[[Node, bytes], bool] | None = None
    # Patterns capturing `@local`: names a function binds (parameters, assignments). A bare
    # use of one inside that function is a local variable, not a reference to a definition.
    locals: tuple[str, ...] = ()
    # Patterns capturing `@typed` (a variable, a parameter, `self.x`) and `@type` (its
    # annotation, or the call whose result it is bound to): what `type_of` reads as the
    # type's dotted name ("" when it names none), recorded as a typed name (see
    # services/domain/symbols.py) so that `x.m()` can mean the class's `m`.
    types: tuple[str, ...] = ()
    type_of: Callable[[Node, bytes], str] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.references) - set(REFERENCE_KINDS)
        if unknown:
            raise ValueError(f"unknown reference kinds {sorted(unknown)}")


def filled(context: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """`context`, a pattern with a `{}`, once for each way a name is written there (`f`,
    `a.b.f`, `F<T>`, ...), most specific first."""
    return tuple(context.replace("{}", name) for name in names)
