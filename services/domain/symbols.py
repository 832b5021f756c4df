"""What the symbol graph records of a file: its definitions, its references, its imports.

One tree-sitter walk per file yields a `FileSymbols` (services/ingestor/symbols/); it is
stored with the file's chunks in the same transaction and resolved at query time
(definitions by name, imports and enclosing scopes first), so an edit to one file never
needs another file re-read. Lines are 1-based, columns 0-based characters, as for chunks.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import NamedTuple, overload

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


class ReferenceColumns(Sequence[SymbolReference]):
    """One file's references kept column by column; each `SymbolReference` is built when
    read. References are most of what extraction yields (80k for 600 files): as columns
    they leave a parse worker with no tuple per reference, pickled as lists of strings (a
    name repeated in a file is one string object, which pickle's memo sends once) and two
    arrays sent as bytes; the memory adapter stores them so."""

    __slots__ = ("names", "qualifiers", "kinds", "lines", "columns", "scopes", "path")

    def __init__(self, names: list[str], qualifiers: list[str], kinds: list[str],
                 lines: Iterable[int], columns: Iterable[int], scopes: list[str],
                 path: str = "") -> None:
        self.names, self.qualifiers, self.kinds, self.scopes = names, qualifiers, kinds, scopes
        self.lines = lines if isinstance(lines, array) else array("i", lines)
        self.columns = columns if isinstance(columns, array) else array("i", columns)
        self.path = path

    @classmethod
    def of(cls, references: Iterable[SymbolReference], path: str = "") -> ReferenceColumns:
        """The columns of `references`, every one of which has `path` as its path."""
        rows = list(references)
        if any(r.path != path for r in rows):
            raise ValueError(f"references of another file than {path!r}")
        names, qualifiers, kinds, lines, columns, scopes = (
            list(map(list, zip(*rows, strict=True)))[:6] if rows else [[] for _ in range(6)])
        return cls(names, qualifiers, kinds, lines, columns, scopes, path)

    def _rows(self) -> zip:
        return zip(self.names, self.qualifiers, self.kinds, self.lines, self.columns,
                   self.scopes, repeat(self.path), strict=False)

    def __iter__(self) -> Iterator[SymbolReference]:
        return map(SymbolReference._make, self._rows())

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, index: int) -> SymbolReference: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[SymbolReference, ...]: ...
    def __getitem__(self, index: int | slice) -> SymbolReference | tuple[SymbolReference, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        return SymbolReference(self.names[index], self.qualifiers[index], self.kinds[index],
                               self.lines[index], self.columns[index], self.scopes[index],
                               self.path)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReferenceColumns | tuple | list):
            return len(self) == len(other) and all(map(tuple.__eq__, self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"ReferenceColumns({list(self)!r})"

    def __reduce__(self) -> tuple:
        return ReferenceColumns, (self.names, self.qualifiers, self.kinds, self.lines,
                                  self.columns, self.scopes, self.path)


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
    references: Sequence[SymbolReference] = ()  # a tuple, or columns from extraction
    imports: tuple[ImportBinding, ...] = ()
