"""Symbol extraction for Ruby and PHP."""

# ruff: noqa: E501 - fixtures keep a method on one line, so its references share a line number

from __future__ import annotations

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

RUBY = """
require "json"
require_relative "./support/util"
module Shapes
  class Circle < Base::Figure
    include Named
    def area(scale)
      check(scale)
      self.round
      JSON.parse(scale)
      Util::Math.sqrt(2)
    end
  end
  class Square < Figure
    def area; end
  end
end
"""


def test_ruby() -> None:
    found = extract("lib/shapes/circle.rb", RUBY, "ruby")
    assert definitions(found) == {
        ("class", "Circle", 4),  # a module is a namespace, not part of the name
        ("method", "Circle.area", 6),
        ("class", "Square", 13),
        ("method", "Square.area", 14),
    }
    assert {
        (INHERITANCE, "Base", "Figure", 4, "Circle"),
        (INHERITANCE, "", "Named", 5, "Circle"),
        (CALL, "", "check", 7, "Circle.area"),
        (CALL, "self", "round", 8, "Circle.area"),
        (OTHER, "", "JSON", 9, "Circle.area"),
        (CALL, "JSON", "parse", 9, "Circle.area"),
        (OTHER, "Util", "Math", 10, "Circle.area"),
        (CALL, "Util::Math", "sqrt", 10, "Circle.area"),
        (INHERITANCE, "", "Figure", 13, "Square"),
    } <= references(found)
    assert imports(found) == {("json", "json"), ("util", "lib.shapes.support.util")}


PHP = """
<?php
namespace App\\Shapes;
use Acme\\Geo\\Area;
use Acme\\Util\\Math as M;
class Circle extends Figure implements Shape {
  public function area(Scale $s): Area { $this->check(); parent::area($s); helper(); M::sqrt(2); $s->value; return new Area(); }
}
function area() { return \\Acme\\round(1); }
"""


def test_php() -> None:
    found = extract("src/Shapes/Circle.php", PHP, "php")
    assert definitions(found) == {
        ("class", "Circle", 5),
        ("method", "Circle.area", 6),
        ("function", "area", 8),
    }
    assert {
        (IMPORT, "Acme.Geo", "Area", 3, ""),
        (INHERITANCE, "", "Figure", 5, "Circle"),
        (INHERITANCE, "", "Shape", 5, "Circle"),
        (TYPE_USE, "", "Scale", 6, "Circle.area"),
        (TYPE_USE, "", "Area", 6, "Circle.area"),
        (CALL, "$this", "check", 6, "Circle.area"),
        (CALL, "parent", "area", 6, "Circle.area"),
        (CALL, "", "helper", 6, "Circle.area"),
        (CALL, "M", "sqrt", 6, "Circle.area"),
        (OTHER, "$s", "value", 6, "Circle.area"),
        (CALL, "", "Area", 6, "Circle.area"),
        (CALL, "\\Acme", "round", 8, "area"),
    } <= references(found)
    assert imports(found) == {("Area", "Acme.Geo.Area"), ("M", "Acme.Util.Math")}
