"""Symbol extraction for Java and Kotlin."""

# ruff: noqa: E501 - fixtures keep a method on one line, so its references share a line number

from __future__ import annotations

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

JAVA = """
package com.acme.shapes;
import java.util.List;
import static java.lang.Math.max;
import com.acme.geo.*;
class Circle extends Figure implements Shape, Named {
  private Unit unit;
  List<Area> area(Scale s) { this.check(); super.area(s); helper(); Util.round(s.value().x); return new Area(max(1, 2)); }
  int area() { return 0; }
}
"""


def test_java() -> None:
    found = extract("src/com/acme/shapes/Circle.java", JAVA, "java")
    assert definitions(found) == {
        ("class", "Circle", 5),
        ("method", "Circle.area", 7),
        ("method", "Circle.area", 8),  # an overload: both kept
    }
    assert {
        (IMPORT, "java.util", "List", 2, ""),
        (IMPORT, "java.lang.Math", "max", 3, ""),
        (INHERITANCE, "", "Figure", 5, "Circle"),
        (INHERITANCE, "", "Shape", 5, "Circle"),
        (INHERITANCE, "", "Named", 5, "Circle"),
        (TYPE_USE, "", "Unit", 6, "Circle"),
        (TYPE_USE, "", "List", 7, "Circle.area"),
        (TYPE_USE, "", "Area", 7, "Circle.area"),
        (TYPE_USE, "", "Scale", 7, "Circle.area"),
        (CALL, "this", "check", 7, "Circle.area"),
        (CALL, "super", "area", 7, "Circle.area"),
        (CALL, "", "helper", 7, "Circle.area"),
        (CALL, "Util", "round", 7, "Circle.area"),
        (CALL, "s", "value", 7, "Circle.area"),
        (OTHER, "s.value()", "x", 7, "Circle.area"),
        (CALL, "", "Area", 7, "Circle.area"),
        (CALL, "", "max", 7, "Circle.area"),
    } <= references(found)
    # A wildcard import binds no name.
    assert imports(found) == {("List", "java.util.List"), ("max", "java.lang.Math.max")}


KOTLIN = """
package com.acme.shapes
import kotlin.math.max
import com.acme.geo.Area as GeoArea
class Circle(val unit: Unit) : Figure(), Shape {
  fun area(s: Scale): GeoArea { this.check(); super.area(s); helper(s); Util.round(s.value().x); return GeoArea(max(1, 2)) }
}
fun area() { println("x") }
"""


def test_kotlin() -> None:
    found = extract("src/Circle.kt", KOTLIN, "kotlin")
    assert definitions(found) == {
        ("class", "Circle", 4),
        ("method", "Circle.area", 5),
        ("function", "area", 7),
    }
    assert {
        (IMPORT, "kotlin.math", "max", 2, ""),
        (TYPE_USE, "", "Unit", 4, "Circle"),
        (INHERITANCE, "", "Figure", 4, "Circle"),
        (INHERITANCE, "", "Shape", 4, "Circle"),
        (TYPE_USE, "", "Scale", 5, "Circle.area"),
        (TYPE_USE, "", "GeoArea", 5, "Circle.area"),
        (CALL, "this", "check", 5, "Circle.area"),
        (CALL, "super", "area", 5, "Circle.area"),
        (CALL, "", "helper", 5, "Circle.area"),
        (CALL, "Util", "round", 5, "Circle.area"),
        (CALL, "s", "value", 5, "Circle.area"),
        (OTHER, "s.value()", "x", 5, "Circle.area"),
        (CALL, "", "GeoArea", 5, "Circle.area"),
        (CALL, "", "println", 7, "area"),
    } <= references(found)
    assert imports(found) == {("max", "kotlin.math.max"), ("GeoArea", "com.acme.geo.Area")}
