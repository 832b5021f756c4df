"""Rust: calls (`f()`, `a::f()`, `x.m()`, turbofish), macros, trait impls and bounds as
inheritance, type uses, field uses; `use` trees, nested lists and aliases included."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.imports import text_of
from services.ingestor.symbols.rules import Imported, Rules, filled

_SCOPED = "(scoped_identifier name: (identifier) @name) @path"
_FIELD = "(field_expression field: (field_identifier) @name) @path"


_CALLEES = (_SCOPED, _FIELD, "(identifier) @name")


def _read_use(statement: Node, source: bytes, path: str) -> Iterator[Imported]:
    argument = statement.child_by_field_name("argument")
    if argument is not None:
        yield from _use_tree(argument, "", source)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _use_tree(node: Node, prefix: str, source: bytes) -> Iterator[Imported]:
    """`a::b::{c, d as e, f::*}` with `prefix` the dotted path above `node`."""
    kind = node.type
    if kind in ("identifier", "scoped_identifier", "crate", "self", "super"):
        target = _join(prefix, text_of(node, source).replace("::", "."))
        name = node.child_by_field_name("name") if kind == "scoped_identifier" else node
        yield Imported(target.rsplit(".", 1)[-1], target, name, target.rpartition(".")[0])
    elif kind == "use_as_clause":
        inner, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
        if inner is not None and alias is not None:
            target = _join(prefix, text_of(inner, source).replace("::", "."))
            name = inner.child_by_field_name("name") or inner
            yield Imported(text_of(alias, source), target, name, target.rpartition(".")[0])
    elif kind == "scoped_use_list":
        inner, items = node.child_by_field_name("path"), node.child_by_field_name("list")
        below = _join(prefix, text_of(inner, source).replace("::", ".")) if inner else prefix
        if items is not None:
            yield from _use_tree(items, below, source)
    elif kind == "use_list":
        for child in node.named_children:
            yield from _use_tree(child, prefix, source)
    # `use a::*` binds no name of its own.


RULES = Rules(
    references={
        CALL: (
            *filled("(call_expression function: {})", _CALLEES),
            *filled("(call_expression function: (generic_function function: {}))", _CALLEES),
            "(macro_invocation macro: (identifier) @name)",
        ),
        INHERITANCE: (
            "(impl_item trait: (type_identifier) @name)",
            "(impl_item trait: (scoped_type_identifier name: (type_identifier) @name) @path)",
            "(trait_bounds (type_identifier) @name)",
        ),
        TYPE_USE: (
            "(scoped_type_identifier name: (type_identifier) @name) @path",
            "(type_identifier) @name",
        ),
        OTHER: (_FIELD, _SCOPED),
    },
    import_statements=("use_declaration",),
    read_import=_read_use,
)
