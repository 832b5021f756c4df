"""The parse stage: chunks along syntax trees, headings and paragraphs.

Expected spans are 1-based and inclusive. A chunk ends after the blank lines (and lone
closing brackets) that follow it, so a definition's chunk often ends a line or two after
its last statement.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.domain.models import chunk_id
from services.ingestor import grammars as lang
from services.ingestor import parse
from services.ingestor.chunking import build_chunks
from services.ingestor.parse import ParsedChunk, grammar_installed, parse_source
from services.workspace_files.languages import language_for

REPO = Path(__file__).resolve().parents[2]
KINDS = {"function", "method", "class", "interface", "struct", "enum", "module", "section", "lines"}


def file_lines(text: str) -> list[str]:
    """The file's lines with their '\\n' (the only line end tree-sitter counts)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def assert_well_formed(text: str, chunks: list[ParsedChunk]) -> None:
    """Every character in exactly one chunk, in order; a chunk's text is exactly its lines,
    or, for the pieces of a line too long for one chunk, exactly its part of them."""
    lines = file_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    assert bool(chunks) == bool(text)
    at = 0  # character offset where the next chunk must start
    for chunk in chunks:
        assert starts[chunk.start_line - 1] + chunk.start_column == at, chunks
        assert 0 <= chunk.start_column < len(lines[chunk.start_line - 1])
        assert chunk.text and chunk.text == text[at : at + len(chunk.text)]
        at += len(chunk.text)
        assert starts[chunk.end_line - 1] < at <= starts[chunk.end_line]  # its last character
        assert chunk.kind in KINDS
        if chunk.kind in ("module", "lines"):
            assert chunk.symbol == ""
    assert at == len(text)


def split(text: str, language: str, **limits: int) -> list[tuple[str, str, int, int]]:
    chunks = parse_source(f"src/example.{language}", text, language, **limits)
    assert_well_formed(text, chunks)
    return [(c.symbol, c.kind, c.start_line, c.end_line) for c in chunks]


# -- one realistic file per language -----------------------------------------------------
# Each has a type, a method and a free function; the line limit is set low enough that the
# type is opened into its members. The expected list is the whole result, in order.

PYTHON = '''\
"""Geometry helpers."""
import math

UNIT = 1.0


class Circle:
    """A circle."""

    def __init__(self, radius: float) -> None:
        self.radius = radius

    @property
    def area(self) -> float:
        return math.pi * self.radius**2

    class Style:
        color = "red"


# Distance on a line.
def distance(a: float, b: float) -> float:
    return abs(a - b)
'''

JAVASCRIPT = """\
import { hypot } from "./math.js";

// A circle on the canvas.
export class Circle {
  constructor(radius) {
    this.radius = radius;
  }

  area() {
    return Math.PI * this.radius ** 2;
  }

  onClick = (event) => {
    console.log(event);
  };
}

export function distance(a, b) {
  return hypot(a.x - b.x, a.y - b.y);
}

const square = (x) => x * x;
"""

TYPESCRIPT = """\
import { hypot } from "./math";

export interface Shape {
  area(): number;
}

export class Circle implements Shape {
  constructor(private readonly radius: number) {}

  area(): number {
    return Math.PI * this.radius ** 2;
  }

  static unit(): Circle {
    return new Circle(1);
  }
}

export enum Color {
  Red,
  Green,
}

export function distance(a: Point, b: Point): number {
  return hypot(a.x - b.x, a.y - b.y);
}
"""

TSX = """\
import React from "react";

type Props = { name: string };

export class Greeting extends React.Component<Props> {
  render() {
    return <h1>Hello, {this.props.name}</h1>;
  }
}

export function App() {
  return <Greeting name="world" />;
}
"""

GO = """\
package geometry

import "math"

// Shape is anything with an area.
type Shape interface {
    Area() float64
}

// Circle is a round shape.
type Circle struct {
    Radius float64
}

// Area returns the circle's area.
func (c *Circle) Area() float64 {
    return math.Pi * c.Radius * c.Radius
}

func Distance(a, b float64) float64 {
    return math.Abs(a - b)
}
"""

RUST = """\
use std::f64::consts::PI;

/// A circle.
#[derive(Debug, Clone)]
pub struct Circle {
    pub radius: f64,
}

pub trait Shape {
    fn area(&self) -> f64;
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        PI * self.radius * self.radius
    }

    fn name(&self) -> String {
        "circle".to_string()
    }
}

pub fn distance(a: f64, b: f64) -> f64 {
    (a - b).abs()
}
"""

JAVA = """\
package com.example.geometry;

import java.util.List;

/** Something with an area. */
public interface Shape {
    double area();
}

public class Circle implements Shape {
    private final double radius;

    public Circle(double radius) {
        this.radius = radius;
    }

    @Override
    public double area() {
        return Math.PI * radius * radius;
    }

    static class Builder {
        Circle build() { return new Circle(1); }
    }
}
"""

C = """\
#include <math.h>

#define SQUARE(x) ((x) * (x))

/* A point in the plane. */
struct point {
    double x;
    double y;
};

typedef struct {
    struct point center;
    double radius;
} circle_t;

static double circle_area(const circle_t *c)
{
    return M_PI * SQUARE(c->radius);
}

double distance(struct point a, struct point b) {
    return hypot(a.x - b.x, a.y - b.y);
}
"""

CPP = """\
#include <cmath>

namespace geo {

class Circle {
public:
    explicit Circle(double r) : r_(r) {}

    double area() const {
        return M_PI * r_ * r_;
    }

private:
    double r_;
};

double Circle::perimeter() const {
    return 2 * M_PI * r_;
}

template <typename T>
T distance(T a, T b) {
    return a > b ? a - b : b - a;
}

}  // namespace geo
"""

CSHARP = """\
using System;

namespace Acme.Geometry
{
    /// <summary>Something with an area.</summary>
    public interface IShape
    {
        double Area();
    }

    public class Circle : IShape
    {
        private readonly double _radius;

        public Circle(double radius)
        {
            _radius = radius;
        }

        public double Area() => Math.PI * _radius * _radius;
    }

    public struct Point
    {
        public double X, Y;
    }
}
"""

RUBY = """\
require "json"

module Geometry
  # A circle.
  class Circle
    attr_reader :radius

    def initialize(radius)
      @radius = radius
    end

    def area
      Math::PI * radius**2
    end

    def self.unit
      new(1)
    end
  end
end

def distance(a, b)
  (a - b).abs
end
"""

PHP = """\
<?php

namespace App\\Geometry;

interface Shape
{
    public function area(): float;
}

final class Circle implements Shape
{
    private float $radius;

    public function __construct(float $radius)
    {
        $this->radius = $radius;
    }

    public function area(): float
    {
        return M_PI * $this->radius ** 2;
    }
}

function distance(float $a, float $b): float
{
    return abs($a - $b);
}
"""

KOTLIN = """\
package com.example.geometry

import kotlin.math.PI

interface Shape {
    fun area(): Double
}

data class Circle(val radius: Double) : Shape {
    override fun area(): Double {
        return PI * radius * radius
    }

    companion object {
        fun unit() = Circle(1.0)
    }
}

enum class Color { RED, GREEN }

fun distance(a: Double, b: Double): Double {
    return kotlin.math.abs(a - b)
}
"""

CASES = {
    "python": (PYTHON, 8, [
        ("", "module", 1, 6),
        ("Circle", "class", 7, 9),
        ("Circle.__init__", "method", 10, 12),
        ("Circle.area", "method", 13, 16),  # with its decorator
        ("Circle.Style", "class", 17, 20),
        ("distance", "function", 21, 23),  # with the comment above it
    ]),
    "javascript": (JAVASCRIPT, 8, [
        ("", "module", 1, 2),
        ("Circle", "class", 3, 4),
        ("Circle.constructor", "method", 5, 8),
        ("Circle.area", "method", 9, 12),
        ("Circle.onClick", "method", 13, 17),  # an arrow function in a field
        ("distance", "function", 18, 21),
        ("square", "function", 22, 22),
    ]),
    "typescript": (TYPESCRIPT, 8, [
        ("", "module", 1, 2),
        ("Shape", "interface", 3, 6),
        ("Circle", "class", 7, 7),
        ("Circle.constructor", "method", 8, 9),
        ("Circle.area", "method", 10, 13),
        ("Circle.unit", "method", 14, 18),
        ("Color", "enum", 19, 23),
        ("distance", "function", 24, 26),
    ]),
    "tsx": (TSX, 4, [
        ("", "module", 1, 4),
        ("Greeting", "class", 5, 5),
        ("Greeting.render", "method", 6, 10),
        ("App", "function", 11, 13),
    ]),
    "go": (GO, 8, [
        ("", "module", 1, 4),
        ("Shape", "interface", 5, 9),
        ("Circle", "struct", 10, 14),
        ("Circle.Area", "method", 15, 19),  # named by its receiver
        ("Distance", "function", 20, 22),
    ]),
    "rust": (RUST, 6, [
        ("", "module", 1, 2),
        ("Circle", "struct", 3, 8),  # with its doc comment and attribute
        ("Shape", "interface", 9, 12),
        ("Circle", "class", 13, 13),  # the `impl Shape for Circle` header
        ("Circle.area", "method", 14, 17),
        ("Circle.name", "method", 18, 22),
        ("distance", "function", 23, 25),
    ]),
    "java": (JAVA, 8, [
        ("", "module", 1, 4),
        ("Shape", "interface", 5, 9),
        ("Circle", "class", 10, 12),
        ("Circle.Circle", "method", 13, 16),
        ("Circle.area", "method", 17, 21),
        ("Circle.Builder", "class", 22, 25),
    ]),
    "c": (C, 6, [
        ("", "module", 1, 4),
        ("point", "struct", 5, 10),
        ("circle_t", "struct", 11, 15),  # a typedef'd anonymous struct
        ("circle_area", "function", 16, 20),
        ("distance", "function", 21, 23),
    ]),
    "cpp": (CPP, 6, [
        ("", "module", 1, 4),
        ("Circle", "class", 5, 6),
        ("Circle.Circle", "method", 7, 8),
        ("Circle.area", "method", 9, 12),
        ("Circle", "class", 13, 16),  # `private:` and the field
        ("Circle.perimeter", "method", 17, 20),  # defined outside the class
        ("distance", "function", 21, 25),  # with its template line
        ("", "module", 26, 26),
    ]),
    "csharp": (CSHARP, 6, [
        ("", "module", 1, 4),
        ("IShape", "interface", 5, 10),
        ("Circle", "class", 11, 14),
        ("Circle.Circle", "method", 15, 19),
        ("Circle.Area", "method", 20, 22),
        ("Point", "struct", 23, 27),
    ]),
    "ruby": (RUBY, 6, [
        ("", "module", 1, 3),
        ("Circle", "class", 4, 7),
        ("Circle.initialize", "method", 8, 11),
        ("Circle.area", "method", 12, 15),
        ("Circle.unit", "method", 16, 21),  # and the `end`s of the class and module
        ("distance", "function", 22, 24),
    ]),
    "php": (PHP, 6, [
        ("", "module", 1, 4),
        ("Shape", "interface", 5, 9),
        ("Circle", "class", 10, 13),
        ("Circle.__construct", "method", 14, 18),
        ("Circle.area", "method", 19, 24),
        ("distance", "function", 25, 28),
    ]),
    "kotlin": (KOTLIN, 6, [
        ("", "module", 1, 4),
        ("Shape", "interface", 5, 8),
        ("Circle", "class", 9, 9),
        ("Circle.area", "method", 10, 13),
        ("Circle.Companion", "class", 14, 18),
        ("Color", "enum", 19, 20),
        ("distance", "function", 21, 23),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CASES))
def test_definitions_get_their_own_chunks_with_qualified_symbols(language: str) -> None:
    source, max_lines, expected = CASES[language]
    assert split(source, language, max_chunk_lines=max_lines) == expected


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_type_that_fits_is_opened_into_its_methods_all_the_same(language: str) -> None:
    """Methods are their own chunks at any size (tests/unit/test_class_chunks.py), so the
    default limits give the chunks above; only TSX's five-line class is tiny enough to
    stay whole."""
    source, _, expected = CASES[language]
    if language == "tsx":
        expected = [("", "module", 1, 4), ("Greeting", "class", 5, 10), ("App", "function", 11, 13)]
    assert split(source, language) == expected


@pytest.mark.parametrize("language", sorted(lang.GRAMMARS))
def test_every_grammar_loads_from_installed_packages(language: str) -> None:
    assert grammar_installed(language), (
        f"no tree-sitter grammar for {language} without a download: tree-sitter-language-pack "
        "1.x fetches grammars at run time; releases before 1.0 ship them in the wheel"
    )


def test_languages_by_extension_and_file_name() -> None:
    expected = {
        "pkg/mod.py": "python", "stubs/x.pyi": "python", "web/app.jsx": "javascript",
        "web/app.mjs": "javascript", "web/app.ts": "typescript", "web/App.tsx": "tsx",
        "cmd/main.go": "go", "src/lib.rs": "rust", "A.java": "java", "x.c": "c", "x.h": "c",
        "x.hpp": "cpp", "x.cc": "cpp", "X.cs": "csharp", "x.rb": "ruby", "Rakefile": "ruby",
        "x.php": "php", "x.kt": "kotlin", "build.gradle.kts": "kotlin",
        "README.md": "markdown", "docs/index.rst": "rst", "notes.txt": "text",
        "LICENSE": "text", ".gitignore": "text", "x.unknownext": "text",
        "Makefile": "makefile", "Dockerfile": "dockerfile", "deploy/Dockerfile.prod": "dockerfile",
        "x.sh": "shell", "ci.yml": "yaml", "pyproject.toml": "toml", "a.json": "json",
        "q.sql": "sql", "i.html": "html", "s.css": "css", "A.scala": "scala",
        "A.swift": "swift", "init.lua": "lua", "SRC/MAIN.PY": "python", "win\\path\\x.go": "go",
    }  # fmt: skip
    assert {path: language_for(path) for path in expected} == expected
    assert {"python", "go", "kotlin", "csharp"} <= set(lang.GRAMMARS)
    assert not lang.is_code("markdown") and not lang.is_code("yaml") and lang.is_code("php")


# -- documents -------------------------------------------------------------------------

MARKDOWN = """\
Preamble before any heading.

# Intro

Some words.

## Install

```bash
# a comment in a code block, not a heading
pip install knowport
```

Usage
=====

Body.

Options
-------

### Deep ###

Last words.
"""


def test_markdown_splits_by_atx_and_setext_headings_with_heading_paths() -> None:
    assert split(MARKDOWN, "markdown") == [
        ("", "section", 1, 2),
        ("Intro", "section", 3, 6),
        ("Intro > Install", "section", 7, 13),
        ("Usage", "section", 14, 18),
        ("Usage > Options", "section", 19, 21),
        ("Usage > Options > Deep", "section", 22, 24),
    ]


def test_markdown_lookalikes_are_not_headings() -> None:
    text = (
        "---\ntitle: Front matter\n---\n"  # 1-3: YAML, not a setext heading
        "#hashtag is text\n\n"  # 4-5
        "- a list item\n---\n\n"  # 6-8: a thematic break after a list
        "   ~~~~\n# shell comment\n   ~~~~\n\n"  # 9-12: indented fences
        "    # indented code\n\n"  # 13-14
        "> # quoted\n\n"  # 15-16
        "## Real ##\ntext\n"  # 17-18
    )
    assert split(text, "markdown") == [("", "section", 1, 16), ("Real", "section", 17, 18)]


def test_a_long_markdown_section_splits_between_blocks_keeping_its_heading() -> None:
    text = "# Guide\n\n" + "".join(f"Paragraph {i} line one.\nline two.\n\n" for i in range(30))
    chunks = split(text, "markdown", max_chunk_lines=10)
    assert len(chunks) > 3
    assert {(symbol, kind) for symbol, kind, _, _ in chunks} == {("Guide", "section")}
    lines = file_lines(text)
    for _, _, start, _ in chunks[1:]:
        assert lines[start - 1].startswith("Paragraph")  # cut between paragraphs


RST = """\
=========
Knowport
=========

Intro paragraph.

Install
-------

Run it::

    pip install knowport

Usage
-----

Details
~~~~~~~

Text.

Limits
------
"""


def test_rst_splits_by_underlined_titles_with_levels_in_order_of_appearance() -> None:
    assert split(RST, "rst") == [
        ("Knowport", "section", 1, 6),
        ("Knowport > Install", "section", 7, 13),
        ("Knowport > Usage", "section", 14, 16),
        ("Knowport > Usage > Details", "section", 17, 21),
        ("Knowport > Limits", "section", 22, 23),
    ]


@pytest.mark.parametrize("language", ["text", "yaml", "shell"])
def test_other_text_groups_blank_line_paragraphs_up_to_the_limits(language: str) -> None:
    paragraphs = [f"p{i} first\np{i} second\n" for i in range(10)]
    text = "\n".join(paragraphs)  # 10 paragraphs of 2 lines, blank lines between
    chunks = split(text, language, max_chunk_lines=7)
    assert [(start, end) for _, _, start, end in chunks] == [
        (1, 6), (7, 12), (13, 18), (19, 24), (25, 29),
    ]  # fmt: skip
    assert {kind for _, kind, _, _ in chunks} == {"lines"}


def test_a_paragraph_longer_than_the_limit_is_cut_by_lines() -> None:
    text = "".join(f"line {i}\n" for i in range(25))
    assert [(s, e) for _, _, s, e in split(text, "text", max_chunk_lines=10)] == [
        (1, 10), (11, 20), (21, 25),
    ]  # fmt: skip


# -- limits ----------------------------------------------------------------------------


def test_a_huge_function_splits_between_statements_keeping_symbol_and_kind() -> None:
    body = "".join(f"    value_{i} = compute(\n        {i},\n    )\n" for i in range(200))
    text = f"import os\n\n\ndef huge(x):\n{body}    return x\n"
    chunks = split(text, "python", max_chunk_lines=50)
    assert chunks[0] == ("", "module", 1, 3)
    pieces = chunks[1:]
    assert len(pieces) >= 12
    assert {(symbol, kind) for symbol, kind, _, _ in pieces} == {("huge", "function")}
    lines = file_lines(text)
    assert lines[pieces[0][2] - 1].startswith("def huge")
    for _, _, start, end in pieces:
        assert end - start < 50
        if start > pieces[0][2]:
            assert lines[start - 1].startswith("    value_")  # never inside a statement


@pytest.mark.parametrize("language", ["go", "java", "javascript"])
def test_a_huge_method_in_a_huge_class_splits_into_pieces_of_that_method(language: str) -> None:
    statements = "".join(f"        total = total + {i};\n" for i in range(300))
    header = {
        "go": "type Big struct{}\n\nfunc (b *Big) Run() int {\n",
        "java": "class Big {\n    int run() {\n",
        "javascript": "class Big {\n    run() {\n",
    }[language]
    footer = "        return total;\n    }\n" + ("" if language == "go" else "}\n")
    text = header + "        let total = 0;\n" + statements + footer
    chunks = split(text, language, max_chunk_lines=100)
    method = {"go": "Big.Run", "java": "Big.run", "javascript": "Big.run"}[language]
    runs = [c for c in chunks if c[0] == method]
    assert len(runs) >= 3 and {kind for _, kind, _, _ in runs} == {"method"}
    assert all(end - start < 100 + 2 for _, _, start, end in runs)


def test_the_character_limit_splits_too_and_a_longer_single_line_is_cut_into_pieces() -> None:
    wide = "    x = '" + "a" * 90 + "'\n"  # 100 characters with its line end
    text = "def f():\n" + wide * 30
    chunks = split(text, "python", max_chunk_chars=1000)
    assert len(chunks) >= 3 and {c[0] for c in chunks} == {"f"}
    one_line = "x = '" + "b" * 5000 + "'\n"
    pieces = parse_source("a.py", one_line, "python", max_chunk_chars=100)
    assert_well_formed(one_line, pieces)
    assert len(pieces) == 51 and {(c.start_line, c.end_line) for c in pieces} == {(1, 1)}
    assert [c.start_column for c in pieces[:3]] == [0, 100, 200]  # no separator near a cut
    assert max(len(c.text) for c in pieces) == 100


def test_pieces_of_a_long_line_end_at_separators_so_words_stay_whole() -> None:
    words = [f"word{i:05d}" for i in range(3000)]
    text = "header line\n" + ",".join(words) + "\n]\n"
    chunks = parse_source("data.txt", text, "text", max_chunk_chars=1000)
    assert_well_formed(text, chunks)
    assert all(len(c.text) <= 1000 for c in chunks)
    found = [w for c in chunks for w in re.findall(r"\w+", c.text)]
    assert found == ["header", "line", *words]  # no word cut in two
    assert (chunks[0].start_line, chunks[0].end_line, chunks[0].text) == (1, 1, "header line\n")
    assert {(c.start_line, c.end_line) for c in chunks[1:-1]} == {(2, 2)}
    assert chunks[-2].text.endswith("word02999\n")  # a line end near the limit is the cut
    assert (chunks[-1].start_line, chunks[-1].start_column, chunks[-1].text) == (3, 0, "]\n")


def test_pieces_of_a_line_repeating_itself_get_distinct_stable_ids() -> None:
    text = "0" * 30_000  # identical pieces: only their columns tell them apart
    chunks = build_chunks("a.json", "json", parse_source("a.json", text, "json"))
    assert len(chunks) == 5 and len({c.content_hash for c in chunks}) == 1
    assert len({c.id for c in chunks}) == 5
    assert [c.start_column for c in chunks] == [0, 6000, 12000, 18000, 24000]
    again = build_chunks("a.json", "json", parse_source("a.json", text, "json"))
    assert [c.id for c in again] == [c.id for c in chunks]
    # A chunk at column 0 keeps the id it had before columns existed.
    assert chunks[0].id == chunk_id("a.json", chunks[0].content_hash, 1, 1)


@pytest.mark.parametrize(("name", "language"), [("app.min.js", "javascript"),
                                                ("styles.min.css", "css"),
                                                ("data.json", "json")])
def test_minified_files_skip_the_syntax_tree_and_stay_within_the_limit(
    name: str, language: str
) -> None:
    body = {"javascript": "function f%d(a){return a+%d}", "css": ".c%d{margin:%dpx}",
            "json": '{"k%d":%d},'}[language]
    text = "".join(body % (i, i) for i in range(40_000)) + "\n"
    chunks = parse_source(name, text, language)
    assert_well_formed(text, chunks)
    assert {c.kind for c in chunks} == {"lines"}  # by characters, not along a tree
    assert max(len(c.text) for c in chunks) <= 6000


def test_a_long_data_line_in_ordinary_code_keeps_the_tree() -> None:
    blob = "BLOB = '" + "QUJD" * 300 + "'\n"  # 1.2 KB, a small part of the file
    text = PYTHON + blob + PYTHON.replace("Circle", "Square").replace("distance", "far") * 10
    symbols = {c.symbol for c in parse_source("a.py", text, "python")}
    assert {"Circle", "Square", "far"} <= symbols


# -- robustness ------------------------------------------------------------------------


def test_a_file_with_syntax_errors_still_parses() -> None:
    text = "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass Later:\n    x = [\n"
    chunks = split(text, "python")
    assert ("ok", "function", 1, 3) in chunks
    broken_c = "int main(void) {\n  return 0 +;\n}\n\nstatic int fine(void) { return 1; }\n"
    assert split(broken_c, "c") == [("main", "function", 1, 4), ("fine", "function", 5, 5)]
    unclosed = "int main( {\n  return 0;\n\nstatic int fine(void) { return 1; }\n"
    assert split(unclosed, "c")  # one error swallows the rest: still chunks, by the tree


def test_a_parse_over_its_time_budget_falls_back_and_the_parser_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parse, "PARSE_SECONDS", -1.0)
    monkeypatch.setattr(parse, "PARSE_SECONDS_PER_MB", 0.0)
    assert {kind for _, kind, _, _ in split(PYTHON, "python")} == {"lines"}
    monkeypatch.undo()  # a stopped parse must not leak into the next one
    assert split(PYTHON, "python", max_chunk_lines=8) == CASES["python"][2]


def test_cjk_and_emoji_keep_line_numbers_exact() -> None:
    text = (
        "# 几何工具 🚀 — 计算面积\n"
        "标签 = '圆形 🟢'\n"
        "\n"
        "def 面积(半径):\n"
        "    '''返回面积 📐'''\n"
        "    return 3.14 * 半径 ** 2\n"
        "\n"
        "def después():\n"
        "    return '👩‍💻' * 3\n"
    )
    assert split(text, "python") == [
        ("", "module", 1, 3),
        ("面积", "function", 4, 7),
        ("después", "function", 8, 9),
    ]
    assert split("# 安装 🚀\n\n步骤。\n\n## 配置\n", "markdown") == [
        ("安装 🚀", "section", 1, 4),
        ("安装 🚀 > 配置", "section", 5, 5),
    ]


def test_crlf_line_ends_give_the_same_spans() -> None:
    lf = split(PYTHON, "python", max_chunk_lines=8)
    assert split(PYTHON.replace("\n", "\r\n"), "python", max_chunk_lines=8) == lf


def test_trivial_inputs() -> None:
    assert parse_source("a.py", "", "python") == []
    assert split("\n\n\n", "python") == [("", "module", 1, 3)]
    assert split("x", "go") == [("", "module", 1, 1)]
    assert split("no newline at end", "text") == [("", "lines", 1, 1)]
    assert split("# Title", "markdown") == [("Title", "section", 1, 1)]


def test_parse_source_and_its_chunks_cross_process_boundaries() -> None:
    assert pickle.loads(pickle.dumps(parse_source)) is parse_source
    chunks = parse_source("a.py", PYTHON, "python")
    assert pickle.loads(pickle.dumps(chunks)) == chunks


# -- the invariant, for any text -------------------------------------------------------

FRAGMENTS = sorted(
    {line for source, _, _ in CASES.values() for line in source.split("\n")}
    | {line for doc in (MARKDOWN, RST) for line in doc.split("\n")}
    | {"", "   ", "}", "};", "end", "\t", "\r", "/*", "*/", '"""', "```", "def (", "class",
       "# 标题 🚀", "=====", "-----", "{", "(", "<?php", "fn", "func (", "💥" * 3}
)  # fmt: skip
any_line = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40))
any_text = st.builds(
    lambda lines, end: "\n".join(lines) + end,
    st.lists(any_line, max_size=60),
    st.sampled_from(["", "\n", "\r\n"]),
)
INVARIANT_LANGUAGES = sorted(lang.GRAMMARS) + ["markdown", "rst", "text", "yaml"]


def content_rows(chunk: ParsedChunk) -> list[str]:
    """The chunk's lines without the blank or bracket-only lines at either end."""
    rows = chunk.text.split("\n")[: chunk.end_line - chunk.start_line + 1]
    trivial = [bool(re.fullmatch(r"[\s{}()\[\];,]*|\s*end;?\s*", row)) for row in rows]
    while rows and trivial[0]:
        rows, trivial = rows[1:], trivial[1:]
    while rows and trivial[-1]:
        rows, trivial = rows[:-1], trivial[:-1]
    return rows


@pytest.mark.parametrize("language", INVARIANT_LANGUAGES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=any_text,
    max_lines=st.integers(1, 12),
    max_chars=st.integers(1, 400),
    function_lines=st.integers(1, 6),
)
# Found by a random draw (TSX): a long line's last piece ran on into the next line's first
# letter, a chunk of two rows over a 3-character limit.
@example(text='import "math"\nend', max_lines=1, max_chars=3, function_lines=80)
@example(text='import "math"\nend', max_lines=2, max_chars=3, function_lines=80)
def test_every_line_belongs_to_exactly_one_chunk(
    language: str, text: str, max_lines: int, max_chars: int, function_lines: int
) -> None:
    chunks = parse_source(
        "x", text, language, max_chunk_lines=max_lines, max_chunk_chars=max_chars,
        max_function_lines=function_lines,
    )
    assert_well_formed(text, chunks)
    for chunk in chunks:  # within limits, but for one long line or trailing blank lines
        rows = content_rows(chunk)
        assert len(rows) <= max_lines
        if chunk.kind in ("function", "method"):
            assert len(rows) <= function_lines
        assert len(rows) <= 1 or sum(len(row) + 1 for row in rows) <= max_chars
        assert len(chunk.text) <= max_chars


# -- no network, ever ------------------------------------------------------------------

_OFFLINE_PROBE = """
import json, socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network is off in this test")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
from services.ingestor.parse import parse_source
sources = json.load(sys.stdin)
found = {
    language: sorted({c.symbol for c in parse_source("x", text, language, max_chunk_lines=limit)})
    for language, (text, limit) in sources.items()
}
print(json.dumps({"attempts": attempts, "found": found}))
"""


def test_nothing_is_downloaded_or_cached_while_parsing(tmp_path: Path) -> None:
    """A fresh process with empty caches and no network (a network namespace when the
    machine allows one) parses every language along its tree, and writes nothing."""
    caches = {
        name: tmp_path / name
        for name in ("home", "xdg_cache", "tiktoken", "nltk", "hf", "tslp", "llama_index")
    }
    for folder in caches.values():
        folder.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(caches["home"]),
        "XDG_CACHE_HOME": str(caches["xdg_cache"]),
        "TIKTOKEN_CACHE_DIR": str(caches["tiktoken"]),
        "NLTK_DATA": str(caches["nltk"]),
        "HF_HOME": str(caches["hf"]),
        "HF_HUB_OFFLINE": "1",
        "TREE_SITTER_LANGUAGE_PACK_CACHE_DIR": str(caches["tslp"]),
        "LLAMA_INDEX_CACHE_DIR": str(caches["llama_index"]),
    }
    command = [sys.executable, "-c", _OFFLINE_PROBE]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        command = [unshare, "-rn", *command]
    sources = {language: (source, limit) for language, (source, limit, _) in CASES.items()}
    sources |= {"markdown": (MARKDOWN, 200), "rst": (RST, 200)}
    result = subprocess.run(
        command, input=json.dumps(sources), capture_output=True, text=True, env=env,
        cwd=REPO, timeout=60, check=True,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["attempts"] == []
    assert [path for folder in caches.values() for path in folder.rglob("*")] == []
    for language, (_, _, expected) in CASES.items():  # along the tree, not by lines
        assert report["found"][language] == sorted({symbol for symbol, _, _, _ in expected})
    assert "Knowport > Install" in report["found"]["rst"]
