"""Ruby and PHP: method calls with and without receivers, `new`, superclasses, mixins and
interfaces, type hints (PHP), constant uses; `require` and `use` as imports."""

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.rules import Rules, filled

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


_PHP_NAMES = ("(qualified_name (name) @name .) @path", "(name) @name")


PHP = Rules(
    references={
        CALL: (
            "(member_call_expression name: (name) @name) @path",
            "(nullsafe_member_call_expression name: (name) @name) @path",
            "(scoped_call_expression name: (name) @name) @path",
            *filled("(function_call_expression function: {})", _PHP_NAMES),
            *filled("(object_creation_expression {})", _PHP_NAMES),
        ),
        INHERITANCE: (
            *filled("(base_clause {})", _PHP_NAMES),
            *filled("(class_interface_clause {})", _PHP_NAMES),
            *filled("(use_declaration {})", _PHP_NAMES),
        ),
        TYPE_USE: filled("(named_type {})", _PHP_NAMES),
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
