"""Ruby and PHP: method calls with and without receivers, `new`, superclasses, mixins and
interfaces, type hints (PHP), constant uses; `require` and `use` as imports."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules

RUBY = Rules(
    references={
        CALL: (
            "(call receiver: (_) method: (identifier) @name) @path",
            "(call !receiver method: (identifier) @name)",
        ),
        INHERITANCE: (
            "(superclass (scope_resolution name: (constant) @name) @path)",
            "(superclass (constant) @name)",
            "(call !receiver method: (identifier) @_mixin arguments: (argument_list"
            ' (constant) @name) (#any-of? @_mixin "include" "extend" "prepend"))',
        ),
        OTHER: (
            "(scope_resolution name: (constant) @name) @path",
            "(call receiver: (constant) @name)",
        ),
    },
    imports=(
        "(call !receiver method: (identifier) @_require arguments: (argument_list"
        ' (string (string_content) @module)) (#any-of? @_require "require" "require_relative"))',
    ),
)


def _php_name(context: str) -> tuple[str, ...]:
    return (
        context.replace("{}", "(qualified_name (name) @name .) @path"),
        context.replace("{}", "(name) @name"),
    )


PHP = Rules(
    references={
        CALL: (
            "(member_call_expression name: (name) @name) @path",
            "(nullsafe_member_call_expression name: (name) @name) @path",
            "(scoped_call_expression name: (name) @name) @path",
            *_php_name("(function_call_expression function: {})"),
            *_php_name("(object_creation_expression {})"),
        ),
        INHERITANCE: (
            *_php_name("(base_clause {})"),
            *_php_name("(class_interface_clause {})"),
            *_php_name("(use_declaration {})"),
        ),
        TYPE_USE: _php_name("(named_type {})"),
        OTHER: (
            "(member_access_expression name: (name) @name) @path",
            "(class_constant_access_expression (_) (name) @name .) @path",
        ),
    },
    imports=(
        "(namespace_use_clause (qualified_name) @module alias: (name) @alias)",
        "(namespace_use_clause (qualified_name) @module !alias)",
        "(namespace_use_clause (name) @module !alias)",
    ),
)
