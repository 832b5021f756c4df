"""JavaScript, TypeScript and TSX: calls, `new`, `extends`/`implements`, type annotations,
member uses; ES imports and `require`, relative paths made workspace-relative."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules

_MEMBER = "(member_expression property: (property_identifier) @name) @path"


def _bare_or_member(context: str) -> tuple[str, ...]:
    return (context.replace("{}", _MEMBER), context.replace("{}", "(identifier) @name"))


_SOURCE = "source: (string (string_fragment) @module)"
_IMPORTS = (
    f"(import_statement (import_clause (identifier) @alias) {_SOURCE})",
    f"(import_statement (import_clause (namespace_import (identifier) @alias)) {_SOURCE})",
    "(import_statement (import_clause (named_imports (import_specifier"
    f" name: (_) @member alias: (_) @alias))) {_SOURCE})",
    "(import_statement (import_clause (named_imports (import_specifier"
    f" name: (_) @member !alias))) {_SOURCE})",
    "(variable_declarator name: (identifier) @alias value: (call_expression"
    " function: (identifier) @_require arguments: (arguments (string (string_fragment)"
    ' @module))) (#eq? @_require "require"))',
)
_CALLS = (
    *_bare_or_member("(call_expression function: {})"),
    *_bare_or_member("(new_expression constructor: {})"),
)
_OTHER = (_MEMBER,)
_LITERALS = frozenset({"string", "template_string", "number", "array", "object", "regex"})

JAVASCRIPT = Rules(
    references={
        CALL: _CALLS,
        INHERITANCE: _bare_or_member("(class_heritage {})"),
        OTHER: _OTHER,
    },
    imports=_IMPORTS,
    literals=_LITERALS,
)

TYPESCRIPT = Rules(
    references={
        CALL: _CALLS,
        INHERITANCE: (
            *_bare_or_member("(extends_clause value: {})"),
            "(implements_clause (type_identifier) @name)",
            "(implements_clause (generic_type name: (type_identifier) @name))",
            "(extends_type_clause type: (type_identifier) @name)",
        ),
        TYPE_USE: (
            "(nested_type_identifier name: (type_identifier) @name) @path",
            "(type_identifier) @name",
        ),
        OTHER: _OTHER,
    },
    imports=_IMPORTS,
    literals=_LITERALS,
)
