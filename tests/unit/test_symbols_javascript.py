"""Symbol extraction for JavaScript, TypeScript and TSX."""

from __future__ import annotations

import pytest

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from tests.support.symbols import definitions, extract, imports, references

JAVASCRIPT = """
import React, { useState as useLocal, Component } from "react";
import * as paths from "./lib/paths";
const fs = require("fs");
class Panel extends Component {
  render() { this.draw(); super.render(); fs.readFile(paths.name); return new Box(); }
  draw() { obj.inner.run(); }
}
const draw = () => useLocal(0);
"""


def test_javascript() -> None:
    found = extract("src/ui/panel.js", JAVASCRIPT, "javascript")
    assert definitions(found) == {
        ("class", "Panel", 4),
        ("method", "Panel.render", 5),
        ("method", "Panel.draw", 6),
        ("function", "draw", 8),  # the same name twice: both kept
    }
    assert {
        (IMPORT, "react", "useState", 1, ""),
        (IMPORT, "react", "Component", 1, ""),
        (INHERITANCE, "", "Component", 4, "Panel"),
        (CALL, "this", "draw", 5, "Panel.render"),
        (CALL, "super", "render", 5, "Panel.render"),
        (CALL, "fs", "readFile", 5, "Panel.render"),
        (OTHER, "paths", "name", 5, "Panel.render"),
        (CALL, "", "Box", 5, "Panel.render"),
        (CALL, "obj.inner", "run", 6, "Panel.draw"),
        (CALL, "", "useLocal", 8, "draw"),
    } <= references(found)
    assert imports(found) == {
        ("React", "react"),
        ("useLocal", "react.useState"),
        ("Component", "react.Component"),
        ("paths", "src.ui.lib.paths"),  # relative to the file's folder
        ("fs", "fs"),
    }


TYPESCRIPT = """
import { Store } from "../state/store";
interface Shape extends Base { area(): number }
class Circle extends Figure implements Shape, Named {
  area(scale: Scale, unit: units.Unit<Metric>): Area { return this.compute(scale); }
}
function area(s: Shape): number { return s.area(); }
"""


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript(language: str) -> None:
    found = extract("src/shapes/circle.ts", TYPESCRIPT, language)
    assert definitions(found) == {
        ("interface", "Shape", 2),
        ("method", "Shape.area", 2),
        ("class", "Circle", 3),
        ("method", "Circle.area", 4),
        ("function", "area", 6),
    }
    assert {
        (IMPORT, "src.state.store", "Store", 1, ""),
        (INHERITANCE, "", "Base", 2, "Shape"),
        (INHERITANCE, "", "Figure", 3, "Circle"),
        (INHERITANCE, "", "Shape", 3, "Circle"),
        (INHERITANCE, "", "Named", 3, "Circle"),
        (TYPE_USE, "", "Scale", 4, "Circle.area"),
        (TYPE_USE, "units", "Unit", 4, "Circle.area"),
        (TYPE_USE, "", "Metric", 4, "Circle.area"),
        (TYPE_USE, "", "Area", 4, "Circle.area"),
        (CALL, "this", "compute", 4, "Circle.area"),
        (TYPE_USE, "", "Shape", 6, "area"),
        (CALL, "s", "area", 6, "area"),
    } <= references(found)
    assert imports(found) == {("Store", "src.state.store.Store")}
