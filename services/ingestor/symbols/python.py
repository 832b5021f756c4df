"""Python: calls, decorators, bases, annotations, attribute uses; imports with relative ones
resolved against the file's package."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from tree_sitter import Node

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.symbols.imports import text_of
from services.ingestor.symbols.rules import Imported, Rules, filled

# A bare name, and the last name of `a.b.name`.
_NAMED_OR_DOTTED = ("(attribute attribute: (identifier) @name) @path", "(identifier) @name")


def module_of(path: str) -> str:
    """The dotted module a workspace file is: `pkg/sub/mod.py` -> `pkg.sub.mod`."""
    parts = path.removesuffix(".py").removesuffix(".pyi").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(p for p in parts if p)


def _package(path: str, level: int) -> str:
    """The package `level` dots up from a file: 1 is the file's own package."""
    parts = module_of(path).split(".")
    if not path.endswith(("__init__.py", "__init__.pyi")):
        parts = parts[:-1]
    keep = len(parts) - (level - 1)
    return ".".join(parts[: max(keep, 0)])


def _read_import(statement: Node, source: bytes, path: str) -> Iterator[Imported]:
    if statement.type == "import_statement":  # import a.b, import a.b as c
        for name in statement.children_by_field_name("name"):
            alias_node = name.child_by_field_name("alias")
            dotted_node = name.child_by_field_name("name") if alias_node else name
            module = text_of(dotted_node, source)
            alias = text_of(alias_node, source) if alias_node else ""
            # `import a.b` makes `a.b` usable as written: the binding is the dotted name.
            last = dotted_node.named_children[-1] if dotted_node.named_child_count else None
            yield Imported(alias or module, module, last, module.rpartition(".")[0])
        return
    module_node = statement.child_by_field_name("module_name")
    if module_node is None:
        return
    if module_node.type == "relative_import":
        prefix = next((c for c in module_node.children if c.type == "import_prefix"), None)
        level = len(text_of(prefix, source)) if prefix is not None else 1
        rest = next((c for c in module_node.named_children if c.type == "dotted_name"), None)
        package = _package(path, level)
        written = text_of(rest, source) if rest is not None else ""
        module = ".".join(p for p in (package, written) if p)
    else:
        module = text_of(module_node, source)
    for name in statement.children_by_field_name("name"):
        alias_node = name.child_by_field_name("alias")
        member_node = name.child_by_field_name("name") if alias_node else name
        member = text_of(member_node, source)
        alias = text_of(alias_node, source) if alias_node else ""
        yield Imported(alias or member, f"{module}.{member}" if module else member,
                       member_node, module)


def _overload_stub(node: Node, source: bytes) -> bool:
    """`@overload` / `@typing.overload` above a function: a signature for type checkers; the
    undecorated definition after it is the function."""
    parent = node.parent
    if parent is None or parent.type != "decorated_definition":
        return False
    return any(
        text_of(d, source).lstrip("@").rsplit(".", 1)[-1] == "overload"
        for d in parent.named_children
        if d.type == "decorator"
    )


_OPTIONAL = frozenset({"Optional", "typing.Optional", "t.Optional"})
_BUILTIN_TYPES = frozenset(n for n, v in vars(builtins).items() if isinstance(v, type))
# Annotations that say nothing of a workspace class (`Any`, `object`), or name a scalar whose
# members are builtin ones (left ambiguous by the resolver anyway): not worth a row each.
_UNTYPED = frozenset({"Any", "object", "str", "bytes", "int", "float", "bool", "complex"})


def _type_of(node: Node, source: bytes) -> str:
    """The class a typed name is bound to: a call's callee with "()" (`Foo()` makes a Foo,
    `make()` may return anything: only `Foo()` and `list()` are kept), or what an annotation
    names (`_annotated`)."""
    if node.type == "call":
        name = text_of(node.child_by_field_name("function"), source)
        last = name.rsplit(".", 1)[-1]
        return f"{name}()" if last[:1].isupper() or last in _BUILTIN_TYPES else ""
    return _annotated(node, source)


def _annotated(node: Node, source: bytes) -> str:
    """The class an annotation names: `Foo`, `mod.Foo`, `"Foo"`, `Optional[Foo]`, `Foo |
    None`; "" for anything else (`list[Foo]`)."""
    if node.type == "type" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type in ("identifier", "attribute"):
        name = text_of(node, source)
        return "" if name.rsplit(".", 1)[-1] in _UNTYPED else name
    if node.type == "string":
        written = text_of(node, source).strip("\"'")
        return written if written.replace(".", "").replace("_", "").isalnum() else ""
    if node.type in ("generic_type", "subscript"):  # Optional[Foo], t.Optional["Foo"]
        head, *inner = node.named_children
        if text_of(head, source) in _OPTIONAL and len(inner) == 1:
            inner_node = inner[0]
            if inner_node.type == "type_parameter" and inner_node.named_child_count == 1:
                inner_node = inner_node.named_children[0]
            return _annotated(inner_node, source)
    if node.type == "binary_operator" and text_of(node.children[1], source) == "|":
        kinds = [c for c in (node.child_by_field_name("left"),
                             node.child_by_field_name("right")) if c is not None]
        named = [c for c in kinds if c.type != "none"]
        if len(named) == 1 and len(kinds) == 2:
            return _annotated(named[0], source)
    return ""


RULES = Rules(
    references={
        CALL: (
            *filled("(call function: {})", _NAMED_OR_DOTTED),
            *filled("(decorator {})", _NAMED_OR_DOTTED),
        ),
        INHERITANCE: filled(
            "(class_definition superclasses: (argument_list {}))", _NAMED_OR_DOTTED
        ),
        TYPE_USE: (
            *filled("(type {})", _NAMED_OR_DOTTED),
            "(generic_type (identifier) @name)",
        ),
        OTHER: (
            "(attribute attribute: (identifier) @name) @path",
            "(decorator (attribute object: (identifier) @name))",  # @prop.setter
            "(argument_list (identifier) @name)",
            "(keyword_argument value: (identifier) @name)",
            # Where a function is handed on as a value: returned, stored, listed.
            "(return_statement (identifier) @name)",
            "(expression_list (identifier) @name)",
            "(assignment right: (identifier) @name)",
            "(pair value: (identifier) @name)",
            "([(list) (tuple) (set)] (identifier) @name)",
        ),
    },
    locals=(
        "(parameters (identifier) @local)",
        "(default_parameter name: (identifier) @local)",
        "(typed_default_parameter name: (identifier) @local)",
        "(typed_parameter . (identifier) @local)",
        "(list_splat_pattern (identifier) @local)",
        "(dictionary_splat_pattern (identifier) @local)",
        "(lambda_parameters (identifier) @local)",
        "(assignment left: (identifier) @local)",
        "(assignment left: [(pattern_list) (tuple_pattern)] (identifier) @local)",
        "(for_statement left: (identifier) @local)",
        "(for_in_clause left: (identifier) @local)",
        "(for_statement left: [(pattern_list) (tuple_pattern)] (identifier) @local)",
        "(as_pattern alias: (as_pattern_target (identifier) @local))",
    ),
    types=(
        "(assignment left: [(identifier) (attribute)] @typed"
        " right: (call function: [(identifier) (attribute)]) @type)",
        "(assignment left: [(identifier) (attribute)] @typed type: (type) @type)",
        "(typed_parameter . (identifier) @typed type: (type) @type)",
        "(typed_default_parameter name: (identifier) @typed type: (type) @type)",
    ),
    type_of=_type_of,
    declares_only=_overload_stub,
    builtins=frozenset(n for n in dir(builtins) if not n.startswith("_")),
    literals=frozenset({
        "string", "concatenated_string", "integer", "float", "list", "dictionary", "set",
        "tuple", "list_comprehension", "dictionary_comprehension", "set_comprehension",
    }),
    import_statements=("import_statement", "import_from_statement"),
    read_import=_read_import,
)
