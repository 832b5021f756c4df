"""The `ChunkSearch` role."""

from __future__ import annotations

import pytest

from services.domain.models import (
    SearchFilters,
)
from tests.integration.storage_contract.builders import (
    OTHER_WS,
    WS,
    ids,
    make_chunk,
    make_file,
    put_file,
)


async def test_lexical_search_finds_identifiers_by_their_parts(storage):
    replacer = (await put_file(storage, "services/storage/port.py",
                               "async def replaceFile(self, file, chunks): ..."))[0]
    getter = (await put_file(storage, "services/storage/memory/adapter.py",
                             "def get_chunks(workspace_id, path):\n    return []"))[0]
    prose = (await put_file(storage, "docs/notes.md", "A file is a file is a file.",
                            language="markdown", kind="section"))[0]

    assert ids(await storage.search_lexical(WS, "replace", 10)) == [replacer.id]
    assert set(ids(await storage.search_lexical(WS, "chunks", 10))) == {replacer.id, getter.id}
    assert ids(await storage.search_lexical(WS, "getChunks", 10))[0] == getter.id
    assert ids(await storage.search_lexical(WS, "get_chunks", 10))[0] == getter.id
    # The whole identifier outranks a chunk that only repeats one of its parts.
    whole = await storage.search_lexical(WS, "replaceFile", 10)
    assert ids(whole)[0] == replacer.id and prose.id in ids(whole)
    # Path parts are searchable too.
    assert set(ids(await storage.search_lexical(WS, "storage", 10))) == {replacer.id,
                                                                          getter.id}

    hits = await storage.search_lexical(WS, "file chunks notes", 2)
    assert len(hits) == 2
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:], strict=False))
    assert await storage.search_lexical(WS, "  -- ?? ", 10) == []
    assert await storage.search_lexical(WS, "nothinglikethis", 10) == []
    assert await storage.search_lexical(OTHER_WS, "replace", 10) == []


async def test_lexical_search_applies_every_filter(storage):
    found = {}
    for key, path, language, kind in (("core", "services/a/core.py", "python", "function"),
                                      ("guide", "docs/guide.md", "markdown", "section"),
                                      ("deep", "docs/deep/more.md", "markdown", "section"),
                                      ("test", "tests/test_core.py", "python", "class")):
        found[key] = (await put_file(storage, path, f"the widget {key}", language=language,
                                     kind=kind))[0].id

    cases = {
        SearchFilters(path_glob="*.md"): {"guide", "deep"},
        SearchFilters(path_glob="docs/*.md"): {"guide"},
        SearchFilters(path_glob="docs/**/*.md"): {"guide", "deep"},
        SearchFilters(path_glob="services/**"): {"core"},
        SearchFilters(path_glob="*/test_?ore.py"): {"test"},
        SearchFilters(path_glob="[!d]*/*.py"): {"test"},
        SearchFilters(languages=("python",)): {"core", "test"},
        SearchFilters(kinds=("class",)): {"test"},
        SearchFilters(path_glob="docs/deep/", languages=("markdown",),
                      kinds=("section",)): {"deep"},
        SearchFilters(languages=("rust",)): set(),
        SearchFilters(languages=("rust", "markdown")): {"guide", "deep"},
        SearchFilters(kinds=("class", "function")): {"core", "test"},
        SearchFilters(languages=("python",), kinds=("section", "class")): {"test"},
    }
    for filters, expected in cases.items():
        hits = await storage.search_lexical(WS, "widget", 10, filters)
        assert set(ids(hits)) == {found[k] for k in expected}, filters


async def test_semantic_search_ranks_nearest_first_within_one_dimension(storage):
    near, middle, far = (make_chunk("v.py", line, f"def v{line}(): pass", embedding=vector)
                         for line, vector in ((1, (1.0, 0.0, 0.0)), (10, (0.8, 0.6, 0.0)),
                                              (20, (0.0, 0.0, 1.0))))
    plain = make_chunk("v.py", 30, "def plain(): pass")
    flat = make_chunk("v.py", 40, "def flat(): pass", kind="class", embedding=(1.0, 0.0))
    chunks = [far, plain, near, flat, middle]
    await storage.replace_file(WS, make_file("v.py", chunks), chunks)

    hits = await storage.search_semantic(WS, [2.0, 0.0, 0.0], 10)
    assert ids(hits) == [near.id, middle.id, far.id]
    assert [h.score for h in hits] == pytest.approx([1.0, 0.8, 0.0], abs=1e-6)
    assert ids(await storage.search_semantic(WS, [0.8, 0.6, 0.0], 1)) == [middle.id]
    assert ids(await storage.search_semantic(WS, [1.0, 0.0], 10)) == [flat.id]
    assert await storage.search_semantic(WS, [1.0, 0.0, 0.0, 0.0], 10) == []
    assert await storage.search_semantic(WS, [1.0, 0.0], 10,
                                         SearchFilters(kinds=("function",))) == []
    assert await storage.search_semantic(OTHER_WS, [1.0, 0.0, 0.0], 10) == []


async def test_semantic_search_applies_filters_before_the_limit(storage):
    # Most chunks are nearer than the one that passes the filter; it must still come back.
    chunks = [make_chunk("many.py", 1 + i, f"def n{i}(): pass", embedding=(1.0, i / 1000))
              for i in range(60)]
    wanted = make_chunk("docs/far.md", 1, "far away", language="markdown", kind="section",
                        embedding=(0.0, 1.0))
    await storage.replace_file(WS, make_file("many.py", chunks), chunks)
    await storage.replace_file(WS, make_file("docs/far.md", [wanted]), [wanted])

    hits = await storage.search_semantic(WS, [1.0, 0.0], 3, SearchFilters(path_glob="*.md"))
    assert ids(hits) == [wanted.id]
