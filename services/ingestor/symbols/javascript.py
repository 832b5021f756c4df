"""JavaScript, TypeScript and TSX: calls, `new`, `extends`/`implements`, type annotations,
member uses; ES imports and `require`, relative paths made workspace-relative."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules, filled

_MEMBER = "(member_expression property: (property_identifier) @name) @path"


_BARE_OR_MEMBER = (_MEMBER, "(identifier) @name")


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
    *filled("(call_expression function: {})", _BARE_OR_MEMBER),
    *filled("(new_expression constructor: {})", _BARE_OR_MEMBER),
)
_OTHER = (_MEMBER,)
_LITERALS = frozenset({"string", "template_string", "number", "array", "object", "regex"})

JAVASCRIPT = Rules(
    references={
        CALL: _CALLS,
        INHERITANCE: filled("(class_heritage {})", _BARE_OR_MEMBER),
        OTHER: _OTHER,
    },
    imports=_IMPORTS,
    literals=_LITERALS,
)

TYPESCRIPT = Rules(
    references={
        CALL: _CALLS,
        INHERITANCE: (
            *filled("(extends_clause value: {})", _BARE_OR_MEMBER),
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
