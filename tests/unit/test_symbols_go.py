"""Symbol extraction for Go."""

# ruff: noqa: E501 - fixtures keep a method on one line, so its references share a line number

from __future__ import annotations

from services.domain.symbols import CALL, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

GO = """
package shapes

import (
  "fmt"
  str "strings"
  "github.com/acme/geo/units"
)

type Rect struct { Base; unit units.Length; next *Rect }

func (r *Rect) Area(scale Factor) float64 { r.check(); fmt.Println(str.ToUpper(r.name)); return area(r) }

func (c Circle) Area() float64 { return 0 }

func area(r *Rect) float64 { return helper(r) }
"""


def test_go() -> None:
    found = extract("shapes/rect.go", GO, "go")
    assert definitions(found) == {
        ("struct", "Rect", 9),
        ("method", "Rect.Area", 11),  # the receiver names the type
        ("method", "Circle.Area", 13),  # one name, two definitions
        ("function", "area", 15),
    }
    assert {
        (INHERITANCE, "", "Base", 9, "Rect"),  # an embedded field
        (TYPE_USE, "units", "Length", 9, "Rect"),
        (TYPE_USE, "", "Rect", 9, "Rect"),
        (TYPE_USE, "", "Factor", 11, "Rect.Area"),
        (CALL, "r", "check", 11, "Rect.Area"),
        (CALL, "fmt", "Println", 11, "Rect.Area"),
        (CALL, "str", "ToUpper", 11, "Rect.Area"),
        (OTHER, "r", "name", 11, "Rect.Area"),
        (CALL, "", "area", 11, "Rect.Area"),
        (CALL, "", "helper", 15, "area"),
    } <= references(found)
    # A Go import is a path, not a name: bindings only, no `import` references.
    assert imports(found) == {
        ("fmt", "fmt"),
        ("str", "strings"),
        ("units", "github.com.acme.geo.units"),
    }
