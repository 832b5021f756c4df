"""Go: calls (`f()`, `pkg.F()`, `v.M()`), embedded fields as inheritance, type uses,
selector uses; imports by path, with their package name or alias."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules

_SELECTOR = "(selector_expression field: (field_identifier) @name) @path"

RULES = Rules(
    references={
        CALL: (
            f"(call_expression function: {_SELECTOR})",
            "(call_expression function: (identifier) @name)",
        ),
        INHERITANCE: (
            "(field_declaration_list (field_declaration !name type: (type_identifier) @name))",
            "(field_declaration_list (field_declaration !name type: (qualified_type"
            " name: (type_identifier) @name) @path))",
        ),
        TYPE_USE: (
            "(qualified_type name: (type_identifier) @name) @path",
            "(type_identifier) @name",
        ),
        OTHER: (_SELECTOR,),
    },
    imports=(
        "(import_spec name: (package_identifier) @alias"
        " path: (interpreted_string_literal (interpreted_string_literal_content) @module))",
        "(import_spec !name"
        " path: (interpreted_string_literal (interpreted_string_literal_content) @module))",
    ),
)
