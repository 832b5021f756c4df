"""Honest chunks (issue 12): a function over FUNCTION_LINES lines is cut into pieces.

Each piece is at most FUNCTION_LINES lines, the blank lines that end it included; pieces are
consecutive, of similar length (no stub), begin at a statement of the body, and carry the
function's symbol and kind; the first holds the signature. File context and the symbol list
still show the function whole. Spans are 1-based and inclusive, as in test_parse.py.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from services.ingestor.chunking import build_chunks
from services.ingestor.embed import embedding_text
from services.ingestor.parse import parse_file, parse_source
from services.ingestor.parse_code import FUNCTION_LINES
from services.knowledge.file_context import lines_of, symbols_of
from tests.unit.test_parse import file_lines, split


def python_function(statements: int) -> str:
    """`settle` with `statements` one-line statements, every tenth a blank line and a
    four-line `if` block, between an import and a short function."""
    body = []
    for i in range(statements):
        body.append(f"    total_{i} = ledger.entry({i}) + total_{max(i - 1, 0)}\n")
        if i % 10 == 9:
            body.append(f"\n    if total_{i} > limit:\n        warn({i})\n        limit *= 2\n")
    return ("import ledger\n\n\n@audited\ndef settle(ledger, limit):\n" + "".join(body)
            + "    return limit\n\n\ndef after():\n    return 1\n")


def test_a_200_line_function_is_cut_into_pieces_of_at_most_80_lines() -> None:
    text = python_function(150)
    lines = file_lines(text)
    assert FUNCTION_LINES == 80
    chunks = split(text, "python")
    pieces = [c for c in chunks if c[0] == "settle"]
    assert chunks[0] == ("", "module", 1, 3)
    assert chunks[-1][:2] == ("after", "function")
    first_row, last_row = pieces[0][2], pieces[-1][3]
    assert (first_row, last_row) == (4, len(lines) - 2)  # decorator to the blank lines after
    assert last_row - first_row + 1 >= 200
    assert len(pieces) == 3
    assert {kind for _, kind, _, _ in pieces} == {"function"}
    assert lines[pieces[0][2] - 1] == "@audited\n"
    assert lines[pieces[0][2]].startswith("def settle(ledger, limit):")  # the signature
    for (_, _, _, end), (_, _, start, _) in pairwise(pieces):
        assert start == end + 1  # consecutive
        # a piece begins at a statement of the body, never inside the `if` block
        assert re.match(r"    (total_\d+ =|if )", lines[start - 1]), lines[start - 1]
    assert all(end - start + 1 <= FUNCTION_LINES for _, _, start, end in chunks)


def test_a_function_of_80_lines_stays_one_chunk_and_one_of_81_is_cut_in_halves() -> None:
    def function(rows: int) -> str:  # `def` line and rows - 1 statements, then a function
        body = "".join(f"    x_{i} = {i}\n" for i in range(rows - 1))
        return f"def long():\n{body}def next_one():\n    pass\n"

    assert split(function(80), "python")[0] == ("long", "function", 1, 80)
    assert [c[2:] for c in split(function(81), "python")[:2]] == [(1, 51), (52, 81)]


def test_the_blank_lines_after_a_function_count_towards_the_limit() -> None:
    for rows, blank_lines, pieces in ((78, 2, 1), (79, 2, 2), (159, 0, 2), (159, 5, 3)):
        body = "".join(f"    x_{i} = {i}\n" for i in range(rows - 1))
        text = f"def long():\n{body}" + "\n" * blank_lines + "def next_one():\n    pass\n"
        chunks = [c for c in split(text, "python") if c[0] == "long"]
        assert len(chunks) == pieces
        assert chunks[-1][3] == rows + blank_lines  # the blank lines end the last piece
        assert all(end - start + 1 <= FUNCTION_LINES for _, _, start, end in chunks)
        sizes = [end - start + 1 for _, _, start, end in chunks]
        assert min(sizes) >= max(sizes) // 3  # no stub of a line or two (`return x`)


def test_a_statement_longer_than_the_limit_is_cut_between_its_own_statements() -> None:
    inner = "".join(f"        y_{i} = step({i})\n" for i in range(150))
    text = f"def run(flag):\n    y = 0\n    if flag:\n{inner}    return y\n"
    lines = file_lines(text)
    pieces = split(text, "python")
    assert len(pieces) == 2
    assert pieces[1][2] > 4 and lines[pieces[1][2] - 1].startswith("        y_")


LOOP = {  # one statement per line, in each language's syntax
    "c": "    total = total + {i};\n", "cpp": "    total = total + {i};\n",
    "csharp": "        total = total + {i};\n", "go": "\ttotal = total + {i}\n",
    "java": "        total = total + {i};\n", "javascript": "    total = total + {i};\n",
    "kotlin": "        total = total + {i}\n", "php": "        $total = $total + {i};\n",
    "python": "        total = total + {i}\n", "ruby": "    total = total + {i}\n",
    "rust": "    total = total + {i};\n", "tsx": "    total = total + {i};\n",
    "typescript": "    total = total + {i};\n",
}
FRAMES = {  # (text before the statements, text after, the function's symbol and kind)
    "c": ("int sum(void) {\n    int total = 0;\n", "    return total;\n}\n", "sum", "function"),
    "cpp": ("int sum() {\n    int total = 0;\n", "    return total;\n}\n", "sum", "function"),
    "csharp": ("class Ledger {\n    int Sum() {\n        int total = 0;\n",
               "        return total;\n    }\n}\n", "Ledger.Sum", "method"),
    "go": ("package ledger\n\nfunc Sum() int {\n\ttotal := 0\n", "\treturn total\n}\n",
           "Sum", "function"),
    "java": ("class Ledger {\n    int sum() {\n        int total = 0;\n",
             "        return total;\n    }\n}\n", "Ledger.sum", "method"),
    "javascript": ("function sum() {\n    let total = 0;\n", "    return total;\n}\n",
                   "sum", "function"),
    "kotlin": ("class Ledger {\n    fun sum(): Int {\n        var total = 0\n",
               "        return total\n    }\n}\n", "Ledger.sum", "method"),
    "php": ("<?php\nclass Ledger {\n    function sum() {\n        $total = 0;\n",
            "        return $total;\n    }\n}\n", "Ledger.sum", "method"),
    "python": ("class Ledger:\n    def sum(self):\n        total = 0\n",
               "        return total\n", "Ledger.sum", "method"),
    "ruby": ("def sum\n    total = 0\n", "    total\nend\n", "sum", "function"),
    "rust": ("fn sum() -> i32 {\n    let mut total = 0;\n", "    total\n}\n", "sum", "function"),
    "tsx": ("function sum(): number {\n    let total = 0;\n", "    return total;\n}\n",
            "sum", "function"),
    "typescript": ("function sum(): number {\n    let total = 0;\n", "    return total;\n}\n",
                   "sum", "function"),
}


@pytest.mark.parametrize("language", sorted(FRAMES))
def test_every_language_cuts_a_long_function_into_pieces_with_its_symbol(language: str) -> None:
    head, tail, symbol, kind = FRAMES[language]
    text = head + "".join(LOOP[language].format(i=i) for i in range(200)) + tail
    lines = file_lines(text)
    pieces = [c for c in split(text, language) if c[0] == symbol]
    assert len(pieces) == 3, split(text, language)
    assert {k for _, k, _, _ in pieces} == {kind}
    assert all(end - start + 1 <= FUNCTION_LINES for _, _, start, end in pieces)
    assert symbol.rsplit(".", 1)[-1] in "".join(lines[pieces[0][2] - 1 : pieces[0][2] + 1])
    for (_, _, _, end), (_, _, start, _) in pairwise(pieces):
        assert start == end + 1 and re.search(r"total = \$?total \+", lines[start - 1])


def test_file_context_and_symbols_still_show_the_function_whole() -> None:
    text = python_function(90)  # 130 lines: two pieces
    parsed = parse_file("settle.py", text, "python")
    chunks = build_chunks("settle.py", "python", parsed.chunks)
    pieces = [c for c in chunks if c.symbol == "settle"]
    assert len(pieces) == 2
    assert "".join(lines_of(chunks)) == text
    whole = {s.name: (s.start_line, s.end_line) for s in symbols_of(chunks)}
    assert whole["settle"] == (4, pieces[-1].end_line)  # the outline shows it whole
    definition = next(d for d in parsed.symbols.definitions if d.qualified_name == "settle")
    return_line = file_lines(text).index("    return limit\n") + 1
    assert (definition.start_line, definition.end_line) == (5, return_line)  # symbol graph
    assert definition.signature.startswith("def settle(ledger, limit)")


def test_a_later_piece_is_found_by_the_function_name_without_repeating_its_text() -> None:
    text = python_function(90)
    chunks = build_chunks("settle.py", "python", parse_source("settle.py", text, "python"))
    later = [c for c in chunks if c.symbol == "settle"][1:]
    assert later and all("def settle" not in c.text for c in later)
    for chunk in later:
        assert chunk.kind == "function"
        assert "settle" in chunk.terms.split()  # lexical
        assert embedding_text(chunk).startswith("settle settle.py\n")  # semantic
    assert "".join(c.text for c in chunks) == text  # no line twice
