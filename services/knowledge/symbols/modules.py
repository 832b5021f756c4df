"""Dotted module names of files, and import targets made absolute, as the resolver compares
them: `pkg/mod.py` is `pkg.mod`, `pkg/__init__.py` is `pkg`; `./util` from `web/app.js` is
`web.util`, `.mod` from `pkg/a.py` is `pkg.mod`."""

from __future__ import annotations

import posixpath
from functools import lru_cache

from services.workspace_files.languages import language_for

# The file that is its folder's own module, per language.
_PACKAGE_FILES = {"python": {"__init__"}, "javascript": {"index"}, "typescript": {"index"},
                  "tsx": {"index"}, "rust": {"mod", "lib"}}


@lru_cache(maxsize=65_536)  # asked for the same few files by every reference
def module_of(path: str) -> str:
    """The dotted module a file is: its path without the extension, `/` as `.`."""
    stem, _ = posixpath.splitext(path)
    parts = [p for p in stem.split("/") if p]
    if len(parts) > 1 and parts[-1] in _PACKAGE_FILES.get(language_for(path), ()):
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=65_536)
def folder_of(path: str) -> str:
    """The dotted folder of a file: the package in Go, Java, Kotlin, C# and Rust terms."""
    return ".".join(p for p in posixpath.dirname(path).split("/") if p)


def absolute_target(target: str, path: str) -> str:
    """An import target as a dotted absolute name, read from the file at `path`."""
    if target.startswith(("./", "../")):  # JavaScript / TypeScript relative specifiers
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        return ".".join(p for p in posixpath.splitext(joined)[0].split("/")
                        if p and p != "..")
    if target.startswith(".") and language_for(path) == "python":
        dots = len(target) - len(target.lstrip("."))
        package = module_of(path).split(".")
        if posixpath.basename(path) not in ("__init__.py", "__init__.pyi"):
            package = package[:-1]  # a module's package is its folder
        base = package[:max(len(package) - (dots - 1), 0)]
        rest = target[dots:]
        return ".".join([*base, rest] if rest else base)
    return target.replace("/", ".").replace("::", ".").replace("\\", ".")


def names_match(full: str, target: str) -> bool:
    """True when one dotted name ends with the other at a dot: `src.pkg.mod.f` and
    `pkg.mod.f` (a source folder), `pkg.f` and `github.com.x.pkg.f` (a long import path)."""
    if full == target:
        return True
    long, short = (full, target) if len(full) > len(target) else (target, full)
    return long.endswith("." + short)


def dotted_suffixes(name: str) -> list[str]:
    """`a.b.c` -> [`a.b.c`, `b.c`, `c`]."""
    parts = name.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


class SuffixIndex:
    """Values by dotted name, found by `names_match` without comparing every name."""

    def __init__(self) -> None:
        self._by_suffix: dict[str, list[tuple[int, object]]] = {}  # every dotted suffix
        self._by_name: dict[str, list[tuple[int, object]]] = {}
        self._added = 0

    def add(self, name: str, value: object) -> None:
        entry = (self._added, value)
        self._added += 1
        self._by_name.setdefault(name, []).append(entry)
        for suffix in dotted_suffixes(name):
            self._by_suffix.setdefault(suffix, []).append(entry)

    def matching(self, target: str) -> list:
        """The values of the names that `names_match` target, each once, as added."""
        found = dict(self._by_suffix.get(target, ()))  # target ends the name
        for suffix in dotted_suffixes(target)[1:]:  # the name ends the target
            found.update(self._by_name.get(suffix, ()))
        return [found[i] for i in sorted(found)]
