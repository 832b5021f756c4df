"""Java and Kotlin: method calls (`f()`, `a.f()`, `this.f()`, `super.f()`), `new`,
superclasses and interfaces, type uses, field uses; imports (aliases in Kotlin)."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules, filled

_TYPES = (
    "(type_identifier) @name",
    "(generic_type (type_identifier) @name)",
    "(scoped_type_identifier (type_identifier) @name .) @path",
)


JAVA = Rules(
    references={
        CALL: (
            "(method_invocation object: (_) name: (identifier) @name) @path",
            "(method_invocation !object name: (identifier) @name)",
            *filled("(object_creation_expression type: {})", _TYPES),
        ),
        INHERITANCE: (
            *filled("(superclass {})", _TYPES),
            *filled("(super_interfaces (type_list {}))", _TYPES),
            *filled("(extends_interfaces (type_list {}))", _TYPES),
        ),
        TYPE_USE: (
            "(scoped_type_identifier (type_identifier) @name .) @path",
            "(type_identifier) @name",
        ),
        OTHER: (
            "(field_access field: (identifier) @name) @path",
            "(method_reference (_) (identifier) @name .) @path",
        ),
    },
    # `import a.b.C;` and `import static a.b.C.m;`; `import a.b.*;` binds no name.
    imports=("(import_declaration (scoped_identifier) @module .)",),
)

_NAVIGATION = "(navigation_expression (navigation_suffix (simple_identifier) @name)) @path"

KOTLIN = Rules(
    references={
        CALL: (
            f"(call_expression {_NAVIGATION})",
            "(call_expression (simple_identifier) @name)",
        ),
        INHERITANCE: (
            "(delegation_specifier (user_type (type_identifier) @name))",
            "(delegation_specifier (constructor_invocation (user_type (type_identifier) @name)))",
        ),
        TYPE_USE: ("(user_type (type_identifier) @name)",),
        OTHER: (_NAVIGATION,),
    },
    imports=(
        "(import_header (identifier) @module (import_alias (type_identifier) @alias))",
        "(import_header (identifier) @module .)",
    ),
)
