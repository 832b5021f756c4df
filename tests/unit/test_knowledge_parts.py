"""The pure parts of retrieval: fusion, name ranking, query terms, UTF-8-safe cuts, path
normalisation, purposes, and the repository map's ranking (no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.domain.errors import InvalidArgument
from services.domain.models import Chunk, ScoredChunk
from services.knowledge.fusion import by_symbol_name, fuse
from services.knowledge.paths import normalise
from services.knowledge.purposes import purpose_from_text
from services.knowledge.query_terms import lexical_query
from services.knowledge.repo_map import RepoMapBuilder
from services.knowledge.wire.fit import cut_text, prefix_within, suffix_within, utf8_size


def chunk(name: str, path: str = "a.py", line: int = 1, text: str = "", kind: str = "function",
          language: str = "python") -> Chunk:
    return Chunk(id=f"{path}:{line}:{name}", path=path, start_line=line, end_line=line + 1,
                 symbol=name, kind=kind, language=language, text=text, content_hash="")


def ranking(*chunks: Chunk) -> list[ScoredChunk]:
    return [ScoredChunk(c, 1.0) for c in chunks]


def test_fusion_adds_reciprocal_ranks_and_breaks_ties_by_place():
    a, b, c, d = (chunk(n, line=i) for i, n in enumerate("abcd", start=1))
    fused = fuse([ranking(a, b, c), ranking(c, b, d)], (1.0, 1.0), k=5)
    assert [h.chunk.symbol for h in fused] == ["c", "b", "a", "d"]
    assert [h.score for h in fused] == pytest.approx([1 / 8 + 1 / 6, 2 / 7, 1 / 6, 1 / 8])
    # Equal scores keep path and line order.
    tie = fuse([ranking(d), ranking(a)], (1.0, 1.0), k=5)
    assert [h.chunk.symbol for h in tie] == ["a", "d"]
    weighted = fuse([ranking(a), ranking(b)], (0.5, 1.0), k=5)
    assert [h.chunk.symbol for h in weighted] == ["b", "a"]


def test_symbol_names_rank_by_words_matched_over_name_length():
    pool = ranking(chunk("load_everything"), chunk("parse_config_file_or_default", line=3),
                   chunk("parse_config", line=5), chunk("", line=7), chunk("Unrelated", line=9))
    names = [h.chunk.symbol for h in by_symbol_name("Parses the configuration config", pool)]
    assert names == ["parse_config", "parse_config_file_or_default"]


def test_lexical_queries_drop_stop_words_and_add_inflections():
    assert lexical_query("Returns the parsed entries") == (
        "Returns|return parsed|parse|pars entries|entry")
    assert lexical_query("the") == "the"  # nothing else left: kept as asked
    assert lexical_query("is_empty getChunks") == "is_empty getChunks"


TEXTS = st.text(alphabet=st.sampled_from(list("ab \n") + ["é", "数", "🔥", "\u200d", "\u0301",
                                                          "\ufe0f", "👨"]), max_size=60)


@given(text=TEXTS, limit=st.integers(0, 80))
def test_prefixes_fit_and_never_split_what_belongs_together(text, limit):
    prefix = prefix_within(text, limit)
    assert text.startswith(prefix) and utf8_size(prefix) <= limit
    if prefix != text and prefix:
        assert not prefix.endswith("\u200d")
        assert text[len(prefix)] not in ("\u200d", "\u0301", "\ufe0f")
    cut, was_cut = cut_text(text, limit)
    assert text.startswith(cut) and utf8_size(cut) <= max(limit, 0)
    assert was_cut == (cut != text)


@given(text=TEXTS, limit=st.integers(0, 80))
@example(text="ab\u200dcdef", limit=4)  # the tail alone looks clean; the joiner is before it
def test_suffixes_fit_and_never_start_inside_what_belongs_together(text, limit):
    suffix = suffix_within(text, limit)
    assert text.endswith(suffix) and utf8_size(suffix) <= max(limit, 0)
    start = len(text) - len(suffix)
    if suffix and start:
        assert text[start - 1] != "\u200d"
        assert text[start] not in ("\u200d", "\u0301", "\ufe0f")


def test_cuts_prefer_a_line_end():
    assert cut_text("first line\nsecond line\nthird", 25) == ("first line\nsecond line\n", True)
    assert cut_text("x" * 100, 10) == ("x" * 10, True)  # one long line: between characters
    assert cut_text("short", 10) == ("short", False)


@pytest.mark.parametrize("raw, normal", [
    ("a.py", "a.py"), ("./a//b/./c.py", "a/b/c.py"), ("dir/", "dir"),
    ("caf\\xe9.py", "caf\\xe9.py"),
    ("100%.txt", "100%.txt"),
])
def test_paths_are_normalised(raw, normal):
    assert normalise(raw) == normal


@pytest.mark.parametrize("raw", [
    "../x", "a/../../x", "/etc/passwd", "\\x", "C:\\x", "a\0b", "%2e%2e/x", "%252e%252e/x",
    "..%2fx", "a\\..\\..\\x", "\uff0e\uff0e/x", ".", "", "%2Fetc",
])
def test_traversal_in_any_disguise_is_invalid(raw):
    with pytest.raises(InvalidArgument):
        normalise(raw)


@pytest.mark.parametrize("language, text, purpose", [
    ("python", '#!/usr/bin/env python\n"""Reads things.\n\nMore."""\n', "Reads things."),
    ("python", "import os\n", ""),
    ("go", "// Copyright 2024 A. MIT license.\n\n// Package x does y.\npackage x\n",
     "Package x does y."),
    ("javascript", "/**\n * Draws the cart.\n */\nexport {}\n", "Draws the cart."),
    ("markdown", "# T\n\n[![b](u)](l)\n\nFirst prose\nline two.\n\n## More\n",
     "First prose line two."),
    ("rst", "Title\n=====\n\n.. note:: x\n\nProse here.\n", "Prose here."),
])
def test_purposes_come_from_the_first_paragraph(language, text, purpose):
    assert purpose_from_text(language, text) == purpose


def test_symbols_rank_by_files_that_mention_them():
    builder = RepoMapBuilder()
    builder.add([
        chunk("Registry", "a/core.py", 1, "class Registry:\n    pass\n", kind="class"),
        chunk("helper_function", "a/core.py", 5, "def helper_function():\n    pass\n"),
        chunk("", "b/one.py", 1, "from a.core import Registry, helper_function\n", kind="module"),
        chunk("", "b/two.py", 1, "Registry()\n", kind="module"),
        chunk("", "b/three.py", 1, "if __name__ == '__main__':\n    Registry()\n",
              kind="module"),
        chunk("lonely", "c.py", 1, "def lonely():\n    pass\n"),
    ])
    repo = builder.finish({})
    # Registry: three other files mention it; helper_function: one, counted twice for a
    # long compound name that is rarely an ordinary word.
    assert [(s.name, s.rank) for s in repo.symbols] == [
        ("Registry", 1.0), ("helper_function", pytest.approx(2 / 3))]
    assert "lonely" not in {s.name for s in repo.symbols}
    assert repo.entry_points == ["b/three.py"]
