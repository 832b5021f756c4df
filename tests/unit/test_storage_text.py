"""The tokenizer and the glob translation both storage adapters share."""

from __future__ import annotations

import re

import pytest

from services.domain.errors import InvalidArgument
from services.domain.models import Chunk
from services.domain.path_glob import glob_to_regex
from services.domain.terms import MAX_TOKEN_CHARS, lexical_document, search_terms, tokens


@pytest.mark.parametrize(("text", "expected"), [
    ("replaceFile", ["replacefile", "replace", "file"]),
    ("get_chunks", ["getchunks", "get", "chunks"]),
    ("services/storage/port.py", ["services", "storage", "port", "py"]),
    ("HTTPServer", ["httpserver", "http", "server"]),
    ("sha256sum", ["sha256sum", "sha", "256", "sum"]),
    ("__init__", ["init"]),
    ("ПриветМир", ["приветмир"]),
    ("a-b, c.d", ["a", "b", "c", "d"]),
])
def test_tokens_split_identifiers_and_keep_the_whole(text, expected):
    assert list(tokens(text)) == expected


def test_tokens_skip_overlong_words():
    assert list(tokens("x" * (MAX_TOKEN_CHARS + 1) + " ok")) == ["ok"]


def test_search_terms_are_distinct_in_first_seen_order():
    assert search_terms("File file replaceFile") == ["file", "replacefile", "replace"]
    assert search_terms(" -- ?? ") == []


def test_lexical_document_covers_path_symbol_text_description_and_purpose():
    chunk = Chunk(id="c", path="pkg/mod.py", start_line=1, end_line=2, symbol="Mod.runAll",
                  kind="method", language="python", text="return x", content_hash="h",
                  description="Runs jobs", purpose="batch")
    assert lexical_document(chunk).split() == [
        "pkg", "mod", "py", "mod", "runall", "run", "all", "return", "x", "runs", "jobs",
        "batch"]


@pytest.mark.parametrize(("glob", "matches", "misses"), [
    ("*.md", ["README.md", "docs/a/b.md"], ["README.mdx", "md"]),
    ("docs/*.md", ["docs/a.md"], ["docs/x/a.md", "x/docs/a.md"]),
    ("docs/**/*.md", ["docs/a.md", "docs/x/y/a.md"], ["docsa.md", "x/docs/a.md"]),
    ("**/test_*.py", ["test_a.py", "x/y/test_a.py"], ["x/atest_a.py"]),
    ("src/**", ["src/a", "src/a/b.py"], ["srcx/a", "a/src/b"]),
    ("/README.md", ["README.md"], ["docs/README.md"]),
    ("docs/", ["docs/a.md", "docs/x/y"], ["docs", "mydocs/a"]),
    ("?.py", ["a.py", "x/b.py"], ["ab.py", "/.py"]),
    ("[ab]*.py", ["a1.py", "b.py"], ["c.py"]),
    ("[!ab]*.py", ["c.py"], ["a.py"]),
    ("a+b(1).py", ["a+b(1).py"], ["aab1.py", "a+b1.py"]),
])
def test_glob_semantics(glob, matches, misses):
    regex = re.compile(glob_to_regex(glob))
    assert [p for p in matches if not regex.match(p)] == []
    assert [p for p in misses if regex.match(p)] == []


def test_glob_with_a_reversed_range_is_invalid():
    with pytest.raises(InvalidArgument, match="reversed range"):
        glob_to_regex("[z-a].py")
