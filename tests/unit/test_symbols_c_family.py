"""Symbol extraction for C, C++ and C#."""

# ruff: noqa: E501 - fixtures keep a method on one line, so its references share a line number

from __future__ import annotations

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

C = """
#include <stdio.h>
#include "geo/units.h"
struct point { int x; };
typedef struct point point_t;
static int area(struct shape *s, point_t p) { helper(s); s->measure(p); return printf("%d", p.x); }
#ifdef BIG
long area(void) { return 0; }
#endif
"""


def test_c() -> None:
    found = extract("src/area.c", C, "c")
    assert definitions(found) == {
        ("struct", "point", 3),
        ("struct", "point_t", 4),
        ("function", "area", 5),
        ("function", "area", 7),  # both branches of an #ifdef
    }
    assert {
        (TYPE_USE, "", "point", 4, "point_t"),
        (TYPE_USE, "", "shape", 5, "area"),
        (TYPE_USE, "", "point_t", 5, "area"),
        (CALL, "", "helper", 5, "area"),
        (CALL, "s", "measure", 5, "area"),
        (CALL, "", "printf", 5, "area"),
        (OTHER, "p", "x", 5, "area"),
    } <= references(found)
    assert imports(found) == {("stdio", "stdio"), ("units", "geo.units")}


CPP = """
#include <vector>
namespace geo {
class Circle : public Shape, private util::Named {
  std::vector<Point> points;
  double area(Scale s) { this->check(); helper(); std::sort(points.begin(), points.end()); return util::round<double>(s); }
};
double Circle::perimeter() { return area(Scale()); }
}
"""


def test_cpp() -> None:
    found = extract("src/circle.cpp", CPP, "cpp")
    assert definitions(found) == {
        ("class", "Circle", 3),
        ("method", "Circle.area", 5),
        ("method", "Circle.perimeter", 7),  # defined outside its class
    }
    assert {
        (INHERITANCE, "", "Shape", 3, "Circle"),
        (INHERITANCE, "util", "Named", 3, "Circle"),
        (TYPE_USE, "", "Point", 4, "Circle"),
        (TYPE_USE, "", "Scale", 5, "Circle.area"),
        (CALL, "this", "check", 5, "Circle.area"),
        (CALL, "", "helper", 5, "Circle.area"),
        (CALL, "std", "sort", 5, "Circle.area"),
        (CALL, "points", "begin", 5, "Circle.area"),
        (CALL, "", "area", 7, "Circle.perimeter"),
    } <= references(found)
    # `Circle::perimeter` names a definition: neither part is a reference.
    assert not {r for r in references(found) if r[3] == 7 and r[2] in ("Circle", "perimeter")}
    assert imports(found) == {("vector", "vector")}


CSHARP = """
using System;
using Col = System.Collections.Generic;
namespace Acme.Shapes {
  class Circle : Figure, IShape {
    Unit unit;
    public Area Measure(Scale s) { this.Check(); base.Measure(s); Helper(); Util.Round(s.Value().X); return new Area(); }
    public Area Measure() { return null; }
  }
}
"""


def test_csharp() -> None:
    found = extract("src/Circle.cs", CSHARP, "csharp")
    assert definitions(found) == {
        ("class", "Circle", 4),
        ("method", "Circle.Measure", 6),
        ("method", "Circle.Measure", 7),
    }
    assert {
        (IMPORT, "", "System", 1, ""),
        (INHERITANCE, "", "Figure", 4, "Circle"),
        (INHERITANCE, "", "IShape", 4, "Circle"),
        (TYPE_USE, "", "Unit", 5, "Circle"),
        (TYPE_USE, "", "Area", 6, "Circle.Measure"),
        (TYPE_USE, "", "Scale", 6, "Circle.Measure"),
        (CALL, "this", "Check", 6, "Circle.Measure"),
        (CALL, "base", "Measure", 6, "Circle.Measure"),
        (CALL, "", "Helper", 6, "Circle.Measure"),
        (CALL, "Util", "Round", 6, "Circle.Measure"),
        (OTHER, "s.Value()", "X", 6, "Circle.Measure"),
        (CALL, "", "Area", 6, "Circle.Measure"),
    } <= references(found)
    assert imports(found) == {("System", "System"), ("Col", "System.Collections.Generic")}
