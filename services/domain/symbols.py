"""What the symbol graph records of a file: its definitions, its references, its imports.

One tree-sitter walk per file yields a `FileSymbols` (services/ingestor/symbols/); it is
stored with the file's chunks in the same transaction and resolved at query time
(definitions by name, imports and enclosing scopes first), so an edit to one file never
needs another file re-read. Lines are 1-based, columns 0-based characters, as for chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# Reference kinds: how a name is used where it appears.
CALL = "call"
IMPORT = "import"
INHERITANCE = "inheritance"
TYPE_USE = "type"
OTHER = "other"
REFERENCE_KINDS = (CALL, IMPORT, INHERITANCE, TYPE_USE, OTHER)


@dataclass(frozen=True, slots=True)
class SymbolDefinition:
    """A named definition: a function, method, class, type, constant, ..."""

    name: str  # the bare name: "method"
    qualified_name: str  # within its file, outermost first: "Outer.Inner.method"
    kind: str  # one of the chunk kinds in services.ingestor.grammars ("function", "class", ...)
    start_line: int
    end_line: int
    signature: str  # the definition's head up to its body, on one line, at most 200 characters
    path: str = ""  # the file: set by extraction; storage sets it where it is empty


class SymbolReference(NamedTuple):
    """One use of a name: `name` is the last component as written (`join` in `os.path.join()`).

    A tuple, unlike the other records: a file has hundreds of references and a workspace
    millions, and a tuple costs a fraction of a frozen dataclass to build and to pickle (the
    parse workers send them back to the ingest process)."""

    name: str
    qualifier: str  # what precedes the name as written ("os.path"; "self"; "" when bare)
    kind: str  # one of REFERENCE_KINDS
    line: int
    column: int
    scope: str  # qualified name of the innermost enclosing definition; "" at file level
    path: str = ""


@dataclass(frozen=True, slots=True)
class ImportBinding:
    """A name an import brings into a file: `local_name` stands for `target` there."""

    local_name: str  # "np", "join", "Path"
    target: str  # dotted as the language writes modules: "numpy", "os.path.join"
    line: int
    path: str = ""


# A typed name (`x = Foo()`, `x: Foo`, `self.x = Foo()`) is kept among a file's imports, as the
# binding of "<name as written>@<scope>" to the type as written there ("Foo", "mod.Foo"): the
# scope is the function that binds a variable ("" at top level), the class for `self.x`. It
# says which class `x.m()` means; no import's local name holds an "@".
TYPED = "@"


def typed_name(written: str, scope: str) -> str:
    """The local name of a typed-name binding: `x` bound in `f`, `self.x` of class `C`."""
    return f"{written}{TYPED}{scope}"


def is_typed(binding: ImportBinding) -> bool:
    return TYPED in binding.local_name


@dataclass(frozen=True, slots=True)
class FileSymbols:
    """Everything one parse of one file says about symbols."""

    definitions: tuple[SymbolDefinition, ...] = ()
    references: tuple[SymbolReference, ...] = ()
    imports: tuple[ImportBinding, ...] = ()
