"""The one compiled query of symbol extraction: how a name's `@path` is found again."""

from __future__ import annotations

import pytest
from tree_sitter import Node, QueryCursor

from services.domain.symbols import OTHER
from services.ingestor import grammars as lang
from services.ingestor.parse import _language, _parser
from services.ingestor.symbols import rules_for
from services.ingestor.symbols.extract import _query
from services.ingestor.symbols.query import Paths, ReferencePattern, path_depth
from tests.support.symbols import extract, references

ATTRIBUTE = "(attribute attribute: (identifier) @name) @path"


def test_path_depth_counts_the_levels_between_path_and_name() -> None:
    assert path_depth(ATTRIBUTE) == 1
    assert path_depth("(call function: (attribute attribute: (identifier) @name) @path)") == 1
    assert path_depth("(call_expression (navigation_expression (navigation_suffix"
                      " (simple_identifier) @name)) @path)") == 2
    assert path_depth("(call function: (identifier) @name)") == 0
    with pytest.raises(ValueError):
        path_depth("(attribute (identifier) @path) @name")


def _tree(source: bytes) -> Node:
    grammar = lang.grammar_for("python")
    return _parser(grammar.name).parse(source).root_node


def test_a_path_is_found_again_when_another_ends_where_it_does() -> None:
    # The assignment ends where `a.b` does: were it a path of the same pattern, it would
    # end where `b` ends too, and only the name's parent is its path.
    assignment = _tree(b"x = a.b\n").named_children[0]
    attribute = assignment.child_by_field_name("right")
    name = attribute.child_by_field_name("attribute")
    assert (assignment.type, attribute.type, assignment.end_byte) == (
        "assignment", "attribute", attribute.end_byte)
    pattern = ReferencePattern(0, OTHER, ATTRIBUTE)
    assert Paths({"path0": [attribute, assignment]}).of(pattern, name) == attribute
    assert Paths({"path0": [attribute]}).of(pattern, name) == attribute


def test_only_the_captures_read_in_the_one_pass_are_made() -> None:
    # A typed name's type and an import's parts are read where they match, not from the
    # one pass over the whole tree.
    grammar = lang.grammar_for("python")
    query = _query(_language(grammar.name), grammar, rules_for("python"))
    root = _tree(b"x = Foo()\ny: Bar = z\n")
    captures = QueryCursor(query.query).captures(root)
    assert "typed" not in captures and "type" not in captures
    assert [m["type"][0].text for m in query.typed_matches(captures)] == [b"Foo()", b"Bar"]


def test_qualifiers_of_nested_and_called_members() -> None:
    found = extract("m.py", "a.b.c\nx = d.e(f).g(h.i)\n", "python")
    assert {(q, n) for _, q, n, _, _ in references(found)} >= {
        ("a", "b"), ("a.b", "c"), ("d", "e"), ("d.e(f)", "g"), ("h", "i")}
