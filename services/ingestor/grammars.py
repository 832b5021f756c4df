"""How each code language's syntax tree names its definitions, and the chunk kinds they give.

Code languages (services/workspace_files/languages.py names a file's language) that have a
tree-sitter grammar have a `Grammar` here: a table of the node types that define functions,
types and namespaces. The parse stage walks trees generically with these tables, so supporting
another language means adding data, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The chunk kinds the parse stage emits (`Chunk.kind`).
FUNCTION = "function"
METHOD = "method"
CLASS = "class"
INTERFACE = "interface"
STRUCT = "struct"
ENUM = "enum"
MODULE = "module"  # top-level code between definitions: imports, constants
SECTION = "section"  # a document section under a heading
LINES = "lines"  # a run of lines with no better unit

@dataclass(frozen=True, slots=True)
class Definition:
    """How one node type defines something.

    `kind` is what the node defines; "function" becomes "method" inside a type. The type of
    a child (the `child_field` child, or else any direct child, keywords included) found in
    `kinds_by_child` overrides it. A None kind with no matching child means the node defines
    nothing: a Go `type X int`, a JavaScript `const x = 1`.
    """

    kind: str | None
    kinds_by_child: Mapping[str, str] = field(default_factory=dict)
    child_field: str | None = None
    name_field: str = "name"  # C declarators nest: the walk follows `declarator` down
    default_name: str = ""
    receiver_field: str | None = None  # Go: the receiver names the type of a method
    needs_body: bool = False  # C/C++ `struct x;` declares, `struct x {...}` defines


@dataclass(frozen=True, slots=True)
class Grammar:
    """A language's tree-sitter grammar and the node types the parse stage looks for."""

    name: str  # the grammar's name in tree-sitter-language-pack
    definitions: Mapping[str, Definition]
    # Hold one definition and lend it their lines: decorators, `export`, `template <...>`.
    wrappers: frozenset[str] = frozenset()
    # Group definitions without adding lines to them: `#ifdef` blocks, enum member lists.
    groups: frozenset[str] = frozenset()
    # Searched for definitions but never a chunk, nor part of a symbol: a namespace is
    # declared for a whole file in some languages (C#, PHP, Java) and wraps code in others.
    namespaces: frozenset[str] = frozenset()
    # Bodies of types and functions in grammars that have no `body` field (Kotlin).
    bodies: frozenset[str] = frozenset()
    # Where the name is when a grammar has no `name` field (Kotlin).
    name_types: frozenset[str] = frozenset()
    # Comments and attributes directly above a definition belong to its chunk.
    prefixes: frozenset[str] = frozenset(
        {"comment", "line_comment", "block_comment", "multiline_comment", "attribute_item"}
    )


def _defs(kind: str, *node_types: str) -> dict[str, Definition]:
    return {node_type: Definition(kind) for node_type in node_types}


# Functions bound to a name: `const f = () => ...`, `handler = async () => ...` in a class.
_JS_FUNCTION_VALUES = ("arrow_function", "function_expression", "function", "generator_function")
_JS_DEFINITIONS: dict[str, Definition] = {
    **_defs(FUNCTION, "function_declaration", "generator_function_declaration"),
    **_defs(CLASS, "class_declaration"),
    **_defs(METHOD, "method_definition"),
    "variable_declarator": Definition(
        None, dict.fromkeys(_JS_FUNCTION_VALUES, FUNCTION), child_field="value"
    ),
    "field_definition": Definition(
        None,
        dict.fromkeys(_JS_FUNCTION_VALUES, METHOD),
        child_field="value",
        name_field="property",
    ),
}
_JS_WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration"})

_TS_DEFINITIONS: dict[str, Definition] = {
    **_JS_DEFINITIONS,
    **_defs(CLASS, "abstract_class_declaration"),
    **_defs(INTERFACE, "interface_declaration"),
    **_defs(ENUM, "enum_declaration"),
    **_defs(METHOD, "method_signature", "abstract_method_signature"),
    "public_field_definition": Definition(
        None, dict.fromkeys(_JS_FUNCTION_VALUES, METHOD), child_field="value"
    ),
}
_TS = {
    "definitions": _TS_DEFINITIONS,
    # `namespace N {}` parses as an expression statement holding an internal_module.
    "wrappers": _JS_WRAPPERS | {"ambient_declaration", "expression_statement"},
    "namespaces": frozenset({"internal_module", "module"}),
}

_C_TYPEDEF_KINDS = {"struct_specifier": STRUCT, "union_specifier": STRUCT, "enum_specifier": ENUM}
_C_DEFINITIONS: dict[str, Definition] = {
    "function_definition": Definition(FUNCTION, name_field="declarator"),
    "struct_specifier": Definition(STRUCT, needs_body=True),
    "union_specifier": Definition(STRUCT, needs_body=True),
    "enum_specifier": Definition(ENUM, needs_body=True),
    "type_definition": Definition(
        None, _C_TYPEDEF_KINDS, child_field="type", name_field="declarator"
    ),
}
_C_GROUPS = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"})

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "python",
        {"function_definition": Definition(FUNCTION), "class_definition": Definition(CLASS)},
        wrappers=frozenset({"decorated_definition"}),
    ),
    "javascript": Grammar("javascript", _JS_DEFINITIONS, wrappers=_JS_WRAPPERS),
    "typescript": Grammar("typescript", **_TS),
    "tsx": Grammar("tsx", **_TS),
    "go": Grammar(
        "go",
        {
            "function_declaration": Definition(FUNCTION),
            "method_declaration": Definition(METHOD, receiver_field="receiver"),
            "type_spec": Definition(
                None, {"struct_type": STRUCT, "interface_type": INTERFACE}, child_field="type"
            ),
        },
        wrappers=frozenset({"type_declaration"}),
    ),
    "rust": Grammar(
        "rust",
        {
            **_defs(FUNCTION, "function_item", "function_signature_item"),
            **_defs(STRUCT, "struct_item", "union_item"),
            **_defs(ENUM, "enum_item"),
            **_defs(INTERFACE, "trait_item"),
            # `impl Type` holds Type's methods: a class-like chunk named for the type.
            "impl_item": Definition(CLASS, name_field="type"),
        },
        namespaces=frozenset({"mod_item", "foreign_mod_item"}),
    ),
    "java": Grammar(
        "java",
        {
            **_defs(CLASS, "class_declaration", "record_declaration"),
            **_defs(INTERFACE, "interface_declaration", "annotation_type_declaration"),
            **_defs(ENUM, "enum_declaration"),
            **_defs(
                METHOD,
                "method_declaration",
                "constructor_declaration",
                "compact_constructor_declaration",
            ),
        },
        groups=frozenset({"enum_body_declarations"}),
    ),
    "c": Grammar("c", _C_DEFINITIONS, groups=_C_GROUPS),
    "cpp": Grammar(
        "cpp",
        {**_C_DEFINITIONS, "class_specifier": Definition(CLASS, needs_body=True)},
        wrappers=frozenset({"template_declaration"}),
        groups=_C_GROUPS,
        namespaces=frozenset({"namespace_definition", "linkage_specification"}),
    ),
    "csharp": Grammar(
        "csharp",
        {
            **_defs(CLASS, "class_declaration", "record_declaration"),
            **_defs(STRUCT, "struct_declaration", "record_struct_declaration"),
            **_defs(INTERFACE, "interface_declaration"),
            **_defs(ENUM, "enum_declaration"),
            **_defs(
                METHOD,
                "method_declaration",
                "constructor_declaration",
                "destructor_declaration",
                "operator_declaration",
            ),
            **_defs(FUNCTION, "local_function_statement"),
        },
        wrappers=frozenset({"global_statement"}),
        namespaces=frozenset({"namespace_declaration"}),
    ),
    "ruby": Grammar(
        "ruby",
        {
            **_defs(FUNCTION, "method"),
            **_defs(METHOD, "singleton_method"),
            **_defs(CLASS, "class"),
        },
        namespaces=frozenset({"module"}),
    ),
    "php": Grammar(
        "php",
        {
            **_defs(FUNCTION, "function_definition"),
            **_defs(METHOD, "method_declaration"),
            **_defs(CLASS, "class_declaration", "trait_declaration"),
            **_defs(INTERFACE, "interface_declaration"),
            **_defs(ENUM, "enum_declaration"),
        },
        namespaces=frozenset({"namespace_definition"}),
    ),
    "kotlin": Grammar(
        "kotlin",
        {
            **_defs(FUNCTION, "function_declaration"),
            **_defs(CLASS, "object_declaration"),
            # `interface` and `enum class` are class_declarations told apart by a child.
            "class_declaration": Definition(
                CLASS, {"interface": INTERFACE, "enum_class_body": ENUM}
            ),
            "companion_object": Definition(CLASS, default_name="Companion"),
        },
        bodies=frozenset({"class_body", "enum_class_body", "function_body"}),
        name_types=frozenset({"type_identifier", "simple_identifier"}),
    ),
}

# The kinds a definition can have that hold members (opened when they are too big).
TYPE_KINDS = frozenset({CLASS, INTERFACE, STRUCT, ENUM})


def grammar_for(language: str) -> Grammar | None:
    """The grammar table of a code language, or None for documents and other text."""
    return GRAMMARS.get(language)


def is_code(language: str) -> bool:
    """True when the language is code split along its syntax tree."""
    return language in GRAMMARS
