"""C, C++ and C#: calls (`f()`, `s->f()`, `a.f()`, `ns::f()`, templates), `new`, base
classes, type uses, member uses; `#include` paths and `using` directives as imports."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules, filled

_FIELD = "(field_expression field: (field_identifier) @name) @path"
_INCLUDES = (
    "(preproc_include path: (string_literal (string_content) @module))",
    "(preproc_include path: (system_lib_string) @module)",
)

C = Rules(
    references={
        CALL: (
            f"(call_expression function: {_FIELD})",
            "(call_expression function: (identifier) @name)",
        ),
        TYPE_USE: ("(type_identifier) @name",),
        OTHER: (_FIELD,),
    },
    imports=_INCLUDES,
)

_QUALIFIED = "(qualified_identifier name: (identifier) @name) @path"

CPP = Rules(
    references={
        CALL: (
            f"(call_expression function: {_FIELD})",
            f"(call_expression function: {_QUALIFIED})",
            "(call_expression function: (identifier) @name)",
            "(call_expression function: (template_function name: (identifier) @name))",
            "(new_expression type: (type_identifier) @name)",
        ),
        INHERITANCE: (
            "(base_class_clause (type_identifier) @name)",
            "(base_class_clause (qualified_identifier name: (type_identifier) @name) @path)",
            "(base_class_clause (template_type name: (type_identifier) @name))",
        ),
        TYPE_USE: (
            "(qualified_identifier name: (type_identifier) @name) @path",
            "(type_identifier) @name",
        ),
        OTHER: (_FIELD, _QUALIFIED),
    },
    imports=(*_INCLUDES, "(using_declaration (qualified_identifier) @module)"),
)

_MEMBER = "(member_access_expression name: (identifier) @name) @path"


_CS_TYPES = (
    "(qualified_name name: (identifier) @name) @path",
    "(generic_name (identifier) @name)",
    "(identifier) @name",
)


CSHARP = Rules(
    references={
        CALL: (
            f"(invocation_expression function: {_MEMBER})",
            "(invocation_expression function: (identifier) @name)",
            "(invocation_expression function: (generic_name (identifier) @name))",
            *filled("(object_creation_expression type: {})", _CS_TYPES),
        ),
        INHERITANCE: filled("(base_list {})", _CS_TYPES),
        TYPE_USE: (
            *filled("(variable_declaration type: {})", _CS_TYPES),
            *filled("(parameter type: {})", _CS_TYPES),
            *filled("(method_declaration returns: {})", _CS_TYPES),
            *filled("(property_declaration type: {})", _CS_TYPES),
            *filled("(type_argument_list {})", _CS_TYPES),
        ),
        OTHER: (_MEMBER,),
    },
    imports=(
        "(using_directive name: (identifier) @alias (qualified_name) @module)",
        "(using_directive !name (qualified_name) @module)",
        "(using_directive !name (identifier) @module)",
    ),
)
