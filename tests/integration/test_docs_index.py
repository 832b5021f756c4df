"""The local docs index and the search provider chain, on real files in a temporary folder."""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.domain.errors import Unavailable
from services.mcp_bridge.docs_errors import (
    DocAccessDenied,
    DocNotFound,
    DocPathError,
    DocsArgumentError,
)
from services.mcp_bridge.docs_index import DocsIndex
from services.mcp_bridge.docs_results import MAX_LIMIT
from services.mcp_bridge.providers import (
    KnowledgeSearchProvider,
    LlmSearchProvider,
    LocalIndexProvider,
    NoProviderAnswered,
    ProviderResult,
    SearchManager,
    SearchProvider,
)

# Files get an mtime well in the past: one "too recent to trust" is looked at again on every
# refresh (git's racy-clean rule), which would blur what these tests count.
OLD = time.time_ns() - 3_600 * 10**9
CANARY = "zanzibarcanary"  # lives only outside the root; must never come back


def write(root: Path, rel: str, text: str, *, mtime_ns: int = OLD) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def docs_index(root: Path, *patterns: str, **options: Any) -> DocsIndex:
    options.setdefault("min_refresh_interval", 0)
    return DocsIndex(root, patterns or ("**/*.md", "**/*.rst", "**/*.txt"), **options)


def found(index: DocsIndex, query: str, mode: str | None = None, **page: Any) -> list[str]:
    return [hit.path for hit in index.search(query, mode, **page).hits]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    write(tmp_path, "outside.md", f"{CANARY} runtime loop")
    return tmp_path / "root"


# --- modes -------------------------------------------------------------------------------------

def test_and_mode_needs_every_word(root: Path):
    write(root, "both.md", "The runtime drives the loop.")
    write(root, "runtime.md", "Only the runtime here.")
    write(root, "loop.md", "Only the loop here.")
    result = docs_index(root).search("runtime loop")
    assert result.mode == "and"
    assert [hit.path for hit in result.hits] == ["both.md"]
    assert result.total == 1 and not result.truncated and result.next_offset is None


def test_or_mode_needs_any_word_and_ranks_both_above_one(root: Path):
    write(root, "both.md", "The runtime drives the loop.")
    write(root, "runtime.md", "Only the runtime here.")
    write(root, "loop.md", "Only the loop here.")
    write(root, "neither.md", "Nothing of interest.")
    paths = found(docs_index(root), "runtime OR loop")
    assert paths[0] == "both.md"
    assert sorted(paths) == ["both.md", "loop.md", "runtime.md"]


def test_phrase_mode_needs_the_words_in_order_even_across_line_breaks(root: Path):
    write(root, "wrapped.md", "Intro line.\nThe event runtime\n   loop starts here.\n")
    write(root, "reversed.md", "A loop runtime is something else.")
    write(root, "apart.md", "The runtime, then the loop.")
    result = docs_index(root).search('"runtime loop"')
    assert result.mode == "phrase"
    assert [hit.path for hit in result.hits] == ["wrapped.md"]
    (hit,) = result.hits
    assert hit.line == 2  # where the phrase starts
    assert "runtime loop starts here." in hit.snippet  # the line break collapsed to a space


def test_a_phrase_matches_its_stop_words_exactly(root: Path):
    write(root, "exact.md", "This is the State of the Art in docs.")
    write(root, "other.md", "A state of an art, a state art.")
    assert found(docs_index(root), '"state of the art"') == ["exact.md"]
    assert sorted(found(docs_index(root), "state art")) == ["exact.md", "other.md"]


def test_stop_words_are_ignored_by_and_and_said_so(root: Path):
    write(root, "a.md", "runtime details")
    result = docs_index(root).search("the runtime")
    assert [hit.path for hit in result.hits] == ["a.md"]
    assert result.ignored == ("the",) and result.terms == ("runtime",)
    assert docs_index(root).search("the of").total == 0  # nothing left to search for


def test_unknown_words_empty_an_and_but_not_an_or(root: Path):
    write(root, "a.md", "runtime details")
    index = docs_index(root)
    assert found(index, "runtime xylophone") == []
    assert found(index, "runtime OR xylophone") == ["a.md"]
    assert found(index, '"runtime xylophone"') == []


def test_more_occurrences_rank_first_and_ties_go_by_path(root: Path):
    for name in ("c.md", "a.md", "b.md"):
        write(root, name, "alpha beta gamma")
    write(root, "z.md", "alpha alpha alpha beta gamma")
    assert found(docs_index(root), "alpha") == ["z.md", "a.md", "b.md", "c.md"]


# --- which files -------------------------------------------------------------------------------

def tree(root: Path) -> None:
    for rel in ("README.md", "docs/guide.md", "docs/deep/more.md", "src/docs/nested.md",
                "notes.txt", "docs/api.rst", "docs/code.py"):
        write(root, rel, "shared word everywhere")


def test_a_pattern_without_a_slash_matches_at_any_depth(root: Path):
    tree(root)
    assert sorted(found(docs_index(root, "*.md"), "shared")) == [
        "README.md", "docs/deep/more.md", "docs/guide.md", "src/docs/nested.md"]


def test_a_pattern_with_a_folder_is_anchored_at_the_root(root: Path):
    tree(root)
    assert sorted(found(docs_index(root, "docs/**/*.md"), "shared")) == [
        "docs/deep/more.md", "docs/guide.md"]  # not src/docs/nested.md


def test_the_default_patterns_are_markdown_rst_and_text(root: Path):
    tree(root)
    assert "docs/code.py" not in found(docs_index(root), "shared")
    assert {"notes.txt", "docs/api.rst"} <= set(found(docs_index(root), "shared"))


def test_invalid_patterns_fail_at_construction(root: Path):
    with pytest.raises(ValueError):
        DocsIndex(root, ("!*.md",))
    with pytest.raises(ValueError):
        DocsIndex(root, ())


def test_dependency_folders_secrets_symlinks_and_binaries_are_not_indexed(root: Path):
    write(root, "kept.md", "findme")
    write(root, "node_modules/pkg/README.md", "findme")
    write(root, ".git/notes.md", "findme")
    write(root, ".env.md", "findme")
    write(root, "binary.md", "findme\0\0\0")
    os.symlink(root.parent / "outside.md", root / "link.md")
    os.symlink(root / "kept.md", root / "inner-link.md")  # symlinks are never followed
    index = docs_index(root)
    assert found(index, "findme") == ["kept.md"]
    assert found(index, CANARY) == []
    assert index.stats().skipped == {"binary file": 1}


def test_files_over_10_mb_are_skipped_until_they_shrink(root: Path):
    write(root, "small.md", "hugeword here")
    big = write(root, "big.md", "hugeword at the start")
    with big.open("r+b") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)  # sparse: costs no disk
    os.utime(big, ns=(OLD, OLD))
    index = docs_index(root)
    assert found(index, "hugeword") == ["small.md"]
    assert index.stats().skipped == {"larger than the size limit": 1}
    with pytest.raises(DocPathError) as caught:
        index.read("big.md")
    assert caught.value.reason == "DOC_TOO_LARGE"

    with big.open("r+b") as handle:
        handle.truncate(len("hugeword at the start"))  # back to its text, no NUL padding
    os.utime(big, ns=(OLD + 10**9, OLD + 10**9))
    assert sorted(found(index, "hugeword")) == ["big.md", "small.md"]


# --- keeping up with the disk ------------------------------------------------------------------

def test_the_first_build_is_lazy(root: Path):
    write(root, "a.md", "alpha")
    index = docs_index(root)
    write(root, "b.md", "alpha")  # after construction, before the first search
    assert sorted(found(index, "alpha")) == ["a.md", "b.md"]


def test_a_changed_file_is_re_indexed_and_only_it(root: Path):
    path = write(root, "a.md", "alpha words")
    write(root, "b.md", "other words")
    write(root, "c.md", "more words")
    index = docs_index(root)
    assert found(index, "alpha") == ["a.md"]
    assert index.read("a.md").text == "alpha words"  # now in the content cache

    path.write_text("omega words", encoding="utf-8")  # same size
    os.utime(path, ns=(OLD + 10**9, OLD + 10**9))  # a different second, whatever the clock
    report = index.refresh()
    assert (report.changed, report.added, report.removed) == (1, 0, 0)
    assert report.files_checked == 3
    assert found(index, "alpha") == []
    assert found(index, "omega") == ["a.md"]
    assert index.read("a.md").text == "omega words"  # the cache did not serve the old text


def test_a_rewrite_within_the_same_clock_tick_is_still_caught(root: Path):
    # A file indexed right after a write may be written again with the same mtime (coarse
    # timestamps) and size; its too-recent mtime was not trusted, so it is read again.
    now = time.time_ns()
    path = write(root, "a.md", "alpha", mtime_ns=now)
    index = docs_index(root)
    assert found(index, "alpha") == ["a.md"]
    path.write_text("gamma", encoding="utf-8")
    os.utime(path, ns=(now, now))
    assert found(index, "gamma") == ["a.md"]


def test_deleted_files_and_folders_are_dropped(root: Path):
    write(root, "a.md", "alpha")
    write(root, "docs/b.md", "alpha")
    write(root, "docs/deep/c.md", "alpha")
    index = docs_index(root)
    assert len(found(index, "alpha")) == 3
    (root / "a.md").unlink()
    assert index.refresh().removed == 1
    assert sorted(found(index, "alpha")) == ["docs/b.md", "docs/deep/c.md"]
    for rel in ("docs/deep/c.md", "docs/b.md"):
        (root / rel).unlink()
    (root / "docs/deep").rmdir()
    (root / "docs").rmdir()
    assert found(index, "alpha") == []
    assert index.stats().files == 0


def test_a_folder_swapped_for_a_symlink_is_not_followed(root: Path):
    write(root, "docs/b.md", "alpha")
    index = docs_index(root)
    assert found(index, "alpha") == ["docs/b.md"]
    (root / "docs/b.md").unlink()
    (root / "docs").rmdir()
    os.symlink(root.parent, root / "docs")  # docs/outside.md now leads out of the root
    assert found(index, "alpha") == []
    assert found(index, CANARY) == []


def test_new_files_and_folders_are_discovered(root: Path):
    write(root, "docs/a.md", "alpha")
    index = docs_index(root)
    assert found(index, "alpha") == ["docs/a.md"]
    write(root, "docs/new.md", "alpha")
    write(root, "docs/sub/deeper/newer.md", "alpha")
    report = index.refresh()
    assert report.added == 2
    assert found(index, "alpha") == ["docs/a.md", "docs/new.md", "docs/sub/deeper/newer.md"]


def test_searches_check_the_disk_at_most_once_per_interval(root: Path):
    write(root, "a.md", "alpha")
    index = docs_index(root, min_refresh_interval=3600)
    assert found(index, "alpha") == ["a.md"]
    write(root, "b.md", "alpha")
    assert found(index, "alpha") == ["a.md"]  # within the interval: not looked at yet
    index.refresh()  # an explicit refresh is never rate-limited
    assert found(index, "alpha") == ["a.md", "b.md"]


def test_searches_from_many_threads_while_files_change(root: Path):
    for i in range(20):
        write(root, f"d{i}.md", f"alpha beta number{i}")
    index = docs_index(root)
    errors: list[BaseException] = []

    def search_a_lot() -> None:
        try:
            for _ in range(50):
                assert index.search("alpha beta").total >= 10
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=search_a_lot) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(10):
        write(root, f"d{i}.md", f"alpha gamma number{i}", mtime_ns=OLD + (i + 1) * 10**9)
    for thread in threads:
        thread.join()
    assert errors == []
    assert index.search("alpha beta").total == 10


# --- the content cache -------------------------------------------------------------------------

def test_the_content_cache_evicts_the_least_recently_used_at_its_limit(root: Path):
    for name in "abcd":
        write(root, f"{name}.md", f"text of {name}")
    index = docs_index(root, cache_size_limit=3)
    for name in "abc":
        index.read(f"{name}.md")
    assert index.cached_paths() == ["a.md", "b.md", "c.md"]
    index.read("a.md")  # used again: now the most recent
    assert index.cached_paths() == ["b.md", "c.md", "a.md"]
    index.read("d.md")
    assert index.cached_paths() == ["c.md", "a.md", "d.md"]  # b went
    assert index.read("b.md").text == "text of b"  # still readable, from the disk
    assert index.cached_paths() == ["a.md", "d.md", "b.md"]
    assert index.stats().cached_files == 3


def test_the_content_cache_also_holds_a_character_budget(root: Path):
    write(root, "small.md", "x" * 10)
    write(root, "large.md", "y" * 100)
    index = docs_index(root, cache_max_chars=50)
    index.read("small.md")
    index.read("large.md")  # too large to keep at all
    assert index.cached_paths() == ["small.md"]


# --- reading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "../outside.md", "docs/../../outside.md", "/etc/passwd", "a\0b.md", "", "  ", ".",
    "docs\\..\\..\\outside.md",
])
def test_read_refuses_paths_that_are_not_plain_workspace_paths(root: Path, path: str):
    write(root, "docs/a.md", "alpha")
    with pytest.raises(DocPathError) as caught:
        docs_index(root).read(path)
    assert isinstance(caught.value, ValueError)


def test_read_takes_an_absolute_path_inside_the_root_and_refuses_one_outside(root: Path):
    inside = write(root, "a.md", "alpha")
    outside = write(root.parent, "outside.md", "beta")
    index = docs_index(root)
    assert index.read(str(inside)).text == "alpha"
    assert index.relative_path(str(inside)) == "a.md"
    for path in (str(outside), f"{root}/../outside.md", f"{root}-other/a.md"):
        with pytest.raises(DocPathError):
            index.read(path)


def test_read_refuses_symlinks_out_of_the_root_secrets_and_version_control(root: Path):
    write(root, ".env", "SECRET=1")
    write(root, ".git/config", "[remote] url = https://token@example.com")
    os.symlink(root.parent / "outside.md", root / "link-out.md")
    os.symlink(root.parent, root / "parent")
    index = docs_index(root)
    for path in ("link-out.md", "parent/outside.md", ".env", ".git/config"):
        with pytest.raises(DocAccessDenied) as caught:
            index.read(path)
        assert isinstance(caught.value, PermissionError)
    assert CANARY not in json.dumps(index.search("runtime OR loop").to_dict())


def test_read_follows_symlinks_that_stay_inside(root: Path):
    write(root, "docs/real.md", "alpha")
    os.symlink("real.md", root / "docs/alias.md")
    assert docs_index(root).read("docs/alias.md").text == "alpha"


def test_read_any_text_file_of_the_workspace_but_not_a_missing_or_binary_one(root: Path):
    write(root, "src/code.py", "print('hi')\n")  # not a doc pattern: readable all the same
    write(root, "blob.md", "a\0b")
    index = docs_index(root)
    assert index.read("src/code.py").text == "print('hi')\n"
    with pytest.raises(DocNotFound):
        index.read("missing.md")
    with pytest.raises(DocPathError) as caught:
        index.read("blob.md")
    assert caught.value.reason == "DOC_NOT_TEXT"
    with pytest.raises(DocPathError):
        index.read("src")  # a folder


def test_read_pages_by_whole_lines_until_the_end(root: Path):
    lines = [f"line {i} says something\n" for i in range(1, 101)]
    write(root, "long.md", "".join(lines))
    index = docs_index(root)
    pages, start = [], 1
    while start is not None:
        page = index.read("long.md", start_line=start, max_chars=300)
        assert len(json.dumps(page.text, ensure_ascii=False)) - 2 <= 300
        assert page.text.endswith("\n")  # whole lines only
        assert page.truncated == (page.next_start_line is not None)
        pages.append(page.text)
        start = page.next_start_line
    assert len(pages) > 5
    assert "".join(pages) == "".join(lines)
    assert index.read("long.md", start_line=101) == ("", False, None)
    assert index.read("long.md", start_line=100).text == lines[99]


def test_read_cuts_a_line_longer_than_the_page_and_moves_on(root: Path):
    write(root, "wide.md", "a" * 1000 + "\nsecond\n")
    page = docs_index(root).read("wide.md", max_chars=100)
    assert page == ("a" * 100, True, 2)
    with pytest.raises(DocsArgumentError):
        docs_index(root).read("wide.md", start_line=0)


# --- results -----------------------------------------------------------------------------------

def test_results_come_in_pages(root: Path):
    for i in range(25):
        write(root, f"doc{i:02}.md", "common word")
    index = docs_index(root)
    seen, offset, pages = [], 0, 0
    while offset is not None:
        result = index.search("common", limit=10, offset=offset)
        assert result.total == 25
        seen += [hit.path for hit in result.hits]
        offset, pages = result.next_offset, pages + 1
        assert result.truncated == (offset is not None)
    assert pages == 3
    assert seen == [f"doc{i:02}.md" for i in range(25)]
    past = index.search("common", limit=10, offset=40)
    assert (past.hits, past.truncated, past.next_offset) == ((), False, None)
    assert len(index.search("common", limit=MAX_LIMIT + 1).hits) == 25
    with pytest.raises(DocsArgumentError):
        index.search("common", limit=-1)


def test_results_stay_under_the_budget_and_say_how_to_continue(root: Path):
    for i in range(100):
        # Long names and snippets made of characters JSON escapes.
        write(root, f"{'n' * 150}{i:03}.md", 'needle "quoted" \\ ' + "\x01" * 300)
    result = docs_index(root).search("needle", limit=100)
    assert len(json.dumps(result.to_dict(), ensure_ascii=False)) < 50_000
    assert len(result.hits) < 100
    assert result.truncated and result.next_offset == len(result.hits)


def test_snippets_show_the_first_match_and_stay_valid_utf8(root: Path):
    prose = "東京の夜景はきれいです😀🎉 " * 20  # multi-byte characters all around the cuts
    write(root, "cjk.md", f"{prose}\nsecond line\n{prose} needle {prose}\n")
    (hit,) = docs_index(root).search("needle").hits
    assert hit.line == 3
    assert "needle" in hit.snippet
    hit.snippet.encode("utf-8")  # never a broken character
    body = hit.snippet.strip("…")
    assert body in " ".join(Path(root / "cjk.md").read_text(encoding="utf-8").split())
    (cjk,) = docs_index(root).search('"夜景"').hits
    assert "夜景" in cjk.snippet and cjk.line == 1


# Any text a UTF-8 file can hold, but NUL (that makes it a binary file).
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=TEXT, after=TEXT)
def test_any_text_around_a_match_gives_a_valid_snippet(before: str, after: str):
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), "a.md", f"{before} needle {after}")
        result = docs_index(Path(folder)).search("needle")
        assert result.total == 1
        (hit,) = result.hits
        assert "needle" in hit.snippet.lower()
        hit.snippet.encode("utf-8")


def test_undecodable_bytes_become_replacement_characters(root: Path):
    (root / "latin1.md").write_bytes(b"caf\xe9 needle \xff\xfe")
    (hit,) = docs_index(root).search("needle").hits
    assert "\ufffd" in hit.snippet
    hit.snippet.encode("utf-8")


def write_bytes(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.write_bytes(data)
    os.utime(path, ns=(OLD, OLD))


def test_utf16_and_utf8_bom_docs_are_read_as_the_ingestor_reads_them(root: Path):
    text = "# Notes\n\nThe reconciler renews the lease.\n"
    write_bytes(root, "ps.md", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))  # PowerShell
    write_bytes(root, "be.md", codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    write_bytes(root, "bom.md", codecs.BOM_UTF8 + text.encode("utf-8"))
    index = docs_index(root)
    assert sorted(found(index, "reconciler renews")) == ["be.md", "bom.md", "ps.md"]
    for path in ("ps.md", "be.md", "bom.md"):
        assert index.read(path).text == text  # no byte order mark, no NUL bytes


# A credential in UTF-16: the raw bytes hold no token-shaped run, only the decoded text does.
# Built at run time, so this file itself holds no credential-shaped text.
UTF16_SECRETS = {
    "ps-token.md": (codecs.BOM_UTF16_LE, "utf-16-le",
                    "deploy token " + "gh" + "p_" + "Zq" * 18 + f" {CANARY}\n"),
    "be-key.md": (codecs.BOM_UTF16_BE, "utf-16-be",
                  "-----BEGIN EC " + f"PRIVATE KEY-----\n{CANARY}\n"
                  "-----END EC PRIVATE KEY-----\n"),
    "nobom-aws.txt": (b"", "utf-16-le", "key " + "AS" + "IA" + "Y" * 16 + f" {CANARY}\n"),
}


def test_a_credential_in_a_utf16_doc_is_neither_found_nor_read(root: Path):
    for path, (bom, encoding, text) in UTF16_SECRETS.items():
        write_bytes(root, path, bom + text.encode(encoding))
    write(root, "plain.md", f"nothing secret, says {CANARY}")
    index = docs_index(root)
    assert found(index, CANARY) == ["plain.md"]
    assert index.stats().skipped == {"holds a private key or an access token": 3}
    for path in UTF16_SECRETS:
        with pytest.raises(DocAccessDenied):
            index.read(path)


# --- the provider chain ------------------------------------------------------------------------

class Failing(SearchProvider):
    name = "failing"

    def __init__(self) -> None:
        self.calls = 0

    async def search(self, query, mode, limit, offset) -> ProviderResult:
        self.calls += 1
        raise RuntimeError("index exploded")


class Sleepy(SearchProvider):
    name = "sleepy"

    async def search(self, query, mode, limit, offset) -> ProviderResult:
        await asyncio.sleep(5)
        raise AssertionError("not reached")


class BrokenCheck(SearchProvider):
    name = "broken-check"

    async def is_available(self) -> bool:
        raise ConnectionError("health check refused")

    async def search(self, query, mode, limit, offset) -> ProviderResult:
        raise AssertionError("not reached")


def knowledge(rows: list[Mapping[str, Any]], asked: list[int] | None = None
              ) -> Callable[[str, int], Awaitable[list[Mapping[str, Any]]]]:
    async def search(query: str, limit: int) -> list[Mapping[str, Any]]:
        if asked is not None:
            asked.append(limit)
        return rows[:limit]
    return search


CODE_ROWS = [{"path": f"src/m{i}.py", "start_line": i + 1, "score": 1.0 / (i + 1),
              "text": f"def runtime_{i}():\n    pass"} for i in range(7)]


async def test_a_failing_provider_falls_through_to_the_next_and_is_logged(root: Path, caplog):
    write(root, "a.md", "runtime loop")
    failing = Failing()
    manager = SearchManager([failing, LocalIndexProvider(docs_index(root))])
    with caplog.at_level(logging.WARNING, logger="services.mcp_bridge.providers"):
        answer = await manager.search("runtime loop")
    assert failing.calls == 1
    assert answer.provider == "local_index"
    assert [hit.path for hit in answer.hits] == ["a.md"]
    assert answer.skipped == [("failing", "failed: RuntimeError: index exploded")]
    assert "failing" in caplog.text and "index exploded" in caplog.text


async def test_an_unavailable_provider_is_skipped_with_its_reason(root: Path):
    write(root, "a.md", "runtime loop")
    manager = SearchManager([LlmSearchProvider(), BrokenCheck(),
                             LocalIndexProvider(docs_index(root / "missing")),
                             LocalIndexProvider(docs_index(root), name="docs")])
    answer = await manager.search("runtime")
    assert answer.provider == "docs"
    assert [name for name, _ in answer.skipped] == ["llm", "broken-check", "local_index"]
    reasons = dict(answer.skipped)
    assert reasons["llm"] == "unavailable: not configured"
    assert reasons["broken-check"] == "failed: ConnectionError: health check refused"
    assert reasons["local_index"].startswith("unavailable: docs root")


async def test_a_slow_provider_times_out_and_the_next_answers(root: Path):
    write(root, "a.md", "runtime")
    manager = SearchManager([Sleepy(), LocalIndexProvider(docs_index(root))], timeout=0.1)
    answer = await manager.search("runtime")
    assert answer.provider == "local_index"
    assert answer.skipped == [("sleepy", "timed out after 0.1 s")]


async def test_no_local_hits_fall_through_to_the_knowledge_service(root: Path):
    write(root, "a.md", "unrelated prose")
    manager = SearchManager([LocalIndexProvider(docs_index(root)),
                             KnowledgeSearchProvider(knowledge(CODE_ROWS))])
    answer = await manager.search("runtime", limit=3)
    assert answer.provider == "knowledge"
    assert answer.skipped == [("local_index", "no hits")]
    assert [(hit.path, hit.line) for hit in answer.hits] == [
        ("src/m0.py", 1), ("src/m1.py", 2), ("src/m2.py", 3)]
    assert answer.hits[0].snippet == "def runtime_0(): pass"
    assert answer.truncated and answer.next_offset == 3


async def test_when_nobody_finds_anything_the_first_empty_answer_stands(root: Path):
    write(root, "a.md", "unrelated prose")
    manager = SearchManager([LlmSearchProvider(), LocalIndexProvider(docs_index(root)),
                             KnowledgeSearchProvider(knowledge([]))])
    answer = await manager.search("runtime")
    assert (answer.provider, answer.hits, answer.total) == ("local_index", [], 0)
    assert answer.skipped == [("llm", "unavailable: not configured"), ("knowledge", "no hits")]


async def test_a_page_past_the_end_stays_with_the_provider_that_has_hits(root: Path):
    for i in range(3):
        write(root, f"a{i}.md", "runtime")
    asked: list[int] = []
    manager = SearchManager([LocalIndexProvider(docs_index(root)),
                             KnowledgeSearchProvider(knowledge(CODE_ROWS, asked))])
    answer = await manager.search("runtime", limit=2, offset=4)
    assert (answer.provider, answer.hits, answer.total) == ("local_index", [], 3)
    assert asked == []  # offsets are per provider: no page 3 of the knowledge service


async def test_the_knowledge_service_pages_without_an_offset_of_its_own(root: Path):
    asked: list[int] = []
    manager = SearchManager([KnowledgeSearchProvider(knowledge(CODE_ROWS, asked))])
    first = await manager.search("runtime", limit=4)
    last = await manager.search("runtime", limit=4, offset=first.next_offset)
    assert asked == [5, 9]  # offset + limit + 1: one more says whether a next page exists
    assert [hit.path for hit in first.hits + last.hits] == [r["path"] for r in CODE_ROWS]
    assert (last.truncated, last.next_offset, last.total) == (False, None, 7)


async def test_every_provider_failing_is_an_unavailable_error(root: Path):
    manager = SearchManager([Failing(), LlmSearchProvider()])
    with pytest.raises(NoProviderAnswered) as caught:
        await manager.search("runtime")
    assert isinstance(caught.value, Unavailable)
    assert "failing: failed: RuntimeError" in str(caught.value)
    assert "llm: unavailable: not configured" in str(caught.value)


async def test_a_malformed_request_is_refused_before_any_provider_runs(root: Path):
    failing = Failing()
    manager = SearchManager([failing])
    for query, mode, offset in [("", None, 0), ("x", "fuzzy", 0), ("x", None, -1)]:
        with pytest.raises(DocsArgumentError):
            await manager.search(query, mode, offset=offset)
    assert failing.calls == 0
