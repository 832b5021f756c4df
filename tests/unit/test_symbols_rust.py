"""Symbol extraction for Rust."""

# ruff: noqa: E501 - fixtures keep a method on one line, so its references share a line number

from __future__ import annotations

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

RUST = """
use std::collections::HashMap;
use crate::geo::{area, units::Length as Len, prelude::*};

struct Rect { unit: Len }

impl Shape for Rect {
    fn area(&self, scale: Factor) -> f64 { self.check(); area::compute(scale); helper(self.unit); HashMap::new(); println!("x"); 0.0 }
}

trait Shape: Named { fn area(&self, scale: Factor) -> f64; }
"""


def test_rust() -> None:
    found = extract("src/rect.rs", RUST, "rust")
    assert definitions(found) == {
        ("struct", "Rect", 4),
        ("class", "Rect", 6),  # the impl block, named for its type
        ("method", "Rect.area", 7),
        ("interface", "Shape", 10),
        ("method", "Shape.area", 10),  # the same name in the trait
    }
    assert {
        (IMPORT, "std.collections", "HashMap", 1, ""),
        (IMPORT, "crate.geo", "area", 2, ""),
        (IMPORT, "crate.geo.units", "Length", 2, ""),
        (TYPE_USE, "", "Len", 4, "Rect"),
        (INHERITANCE, "", "Shape", 6, "Rect"),
        (TYPE_USE, "", "Factor", 7, "Rect.area"),
        (CALL, "self", "check", 7, "Rect.area"),
        (CALL, "area", "compute", 7, "Rect.area"),
        (CALL, "", "helper", 7, "Rect.area"),
        (OTHER, "self", "unit", 7, "Rect.area"),
        (CALL, "HashMap", "new", 7, "Rect.area"),
        (CALL, "", "println", 7, "Rect.area"),
        (INHERITANCE, "", "Named", 10, "Shape"),
    } <= references(found)
    assert imports(found) == {
        ("HashMap", "std.collections.HashMap"),
        ("area", "crate.geo.area"),
        ("Len", "crate.geo.units.Length"),  # a glob import binds no name
    }
