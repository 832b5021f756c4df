"""Import targets as dotted names, the same for every language.

A target is written as the language writes modules, with dots: `os.path`, `java.util.List`,
`std.collections.HashMap` (from `::`), `App.Models.User` (from `\\`), `github.com.x.y` (from
`/`). A relative module (`./util` in JavaScript, `require_relative "lib/x"` in Ruby) is made
workspace-relative from the importing file's folder, so `src/app.js` importing `./util` gives
`src.util`, the dotted path of the file it means.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from tree_sitter import Node

from services.ingestor.symbols.rules import Imported

_EXTENSION = re.compile(r"\.(?:[cm]?[jt]sx?|h|hh|hpp|hxx|rb|php|py)$")
_SEPARATOR = re.compile(r"::|[/\\]")


def text_of(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip()


def dotted(module: str, path: str = "") -> str:
    """`module` as written in an import, as a dotted name (see the module doc)."""
    module = module.strip("\"'<> \t")
    if module.startswith(("./", "../")) and path:
        module = posixpath.normpath(posixpath.join(posixpath.dirname(path), module))
        if module.startswith(".."):  # above the workspace: keep what is known of it
            module = module.lstrip("./")
    module = _EXTENSION.sub("", module)
    return ".".join(p for p in _SEPARATOR.sub(".", module).split(".") if p)


def last(target: str) -> str:
    return target.rsplit(".", 1)[-1]


def imported_by_pattern(
    captures: dict[str, list[Node]], source: bytes, path: str
) -> Iterator[Imported]:
    """One import pattern's match as bindings: `@module`, optionally `@member` and `@alias`."""
    modules = captures.get("module")
    if not modules:
        return
    module_node = modules[0]
    module = dotted(text_of(module_node, source), path)
    aliases = captures.get("alias")
    alias = text_of(aliases[0], source) if aliases else ""
    members = captures.get("member") or []
    if not members:  # the module itself: `import java.util.List`, `use std::fmt`
        name_node = None if alias else _last_name(module_node)
        yield Imported(alias or last(module), module, name_node, module.rpartition(".")[0])
        return
    for member_node in members:
        member = text_of(member_node, source)
        target = f"{module}.{member}" if module else member
        yield Imported(alias or member, target, member_node, module)


def _last_name(node: Node) -> Node | None:
    """The last identifier-like node of a module path (`List` of `java.util.List`)."""
    while node.named_child_count:
        node = node.named_children[-1]
    return node if "identifier" in node.type or node.type in ("name", "constant") else None
