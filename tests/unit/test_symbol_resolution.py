"""Resolution rules on small hand-made symbol sets (memory storage: no I/O): module names,
relative imports, local shadowing, `self`, implicit `this` in Java, ranking, external names."""

from __future__ import annotations

import pytest

from services.domain.symbols import FileSymbols, ImportBinding, SymbolReference
from services.knowledge.symbols.modules import (
    SuffixIndex,
    absolute_target,
    module_of,
    names_match,
)
from services.knowledge.symbols.resolve import (
    AMBIGUOUS,
    RESOLVED,
    UNRESOLVED,
    ranked_candidates,
    resolve,
)
from services.storage.memory.adapter import MemoryStorage
from tests.support.symbol_fixture import define, store_workspace, use

WS = "ws"


@pytest.mark.parametrize("path,module", [
    ("pkg/mod.py", "pkg.mod"), ("pkg/__init__.py", "pkg"), ("a.py", "a"),
    ("web/util/index.ts", "web.util"), ("src/lib.rs", "src"), ("src/main.rs", "src.main"),
    ("mod.py", "mod")])
def test_module_of_a_path(path, module):
    assert module_of(path) == module


@pytest.mark.parametrize("target,path,absolute", [
    (".mod", "pkg/a.py", "pkg.mod"), ("..mod.f", "pkg/sub/a.py", "pkg.mod.f"),
    (".", "pkg/sub/__init__.py", "pkg.sub"), (".x", "pkg/__init__.py", "pkg.x"),
    ("./util", "web/app.js", "web.util"), ("../lib/x", "web/app/y.ts", "web.lib.x"),
    ("std::collections::HashMap", "src/a.rs", "std.collections.HashMap"),
    ("os.path", "a.py", "os.path")])
def test_import_targets_made_absolute(target, path, absolute):
    assert absolute_target(target, path) == absolute


def test_dotted_names_match_at_a_dot_only():
    assert names_match("src.pkg.mod.f", "pkg.mod.f") and names_match("pkg.f", "x.pkg.f")
    assert not names_match("src.xpkg.f", "pkg.f") and not names_match("a.f", "a.g")


async def resolved(files: dict[str, tuple[str, FileSymbols]],
                   refs: list[SymbolReference]) -> list[tuple[str, list[str]]]:
    storage = MemoryStorage()
    await store_workspace(storage, WS, files)
    found = await ranked_candidates(storage, WS, await resolve(storage, WS, refs), 10)
    return [(r.status, [f"{d.path}:{d.qualified_name}" for d in r.candidates]) for r in found]


def at(path: str, ref: SymbolReference) -> SymbolReference:
    return SymbolReference(ref.name, ref.qualifier, ref.kind, ref.line, ref.column, ref.scope,
                           path)


async def test_a_local_definition_shadows_an_import_and_a_bare_name_is_no_method():
    files = {
        "lib.py": ("", FileSymbols(definitions=(define("parse", 1, 2),))),
        "app.py": ("", FileSymbols(
            definitions=(define("outer", 1, 9), define("parse", 2, 3, "outer.parse"),
                         define("Job", 10, 20, kind="class"),
                         define("parse", 11, 12, "Job.parse", "method"),
                         define("run", 13, 14, "Job.run", "method")),
            imports=(ImportBinding("parse", "lib.parse", 1),)))}
    assert await resolved(files, [
        at("app.py", use("parse", 4, 4, "outer")),  # the nested def, not the import
        at("app.py", use("parse", 13, 8, "Job.run")),  # Python: not Job.parse; the import
        at("app.py", use("parse", 13, 8, "Job.run", "self")),  # self.parse: Job.parse
    ]) == [(RESOLVED, ["app.py:outer.parse"]), (RESOLVED, ["lib.py:parse"]),
           (RESOLVED, ["app.py:Job.parse"])]


async def test_self_member_not_in_its_class_is_ambiguous_never_a_free_function():
    """`self.prompt` where the class defines no `prompt`: inherited or set from outside; a
    lone method of that name elsewhere is only a candidate, a free function not even that."""
    files = {"app.py": ("", FileSymbols(definitions=(
        define("Job", 1, 20, kind="class"), define("run", 2, 6, "Job.run", "method")))),
        "ui.py": ("", FileSymbols(definitions=(define("prompt", 1, 2),))),
        "base.py": ("", FileSymbols(definitions=(
            define("Base", 1, 9, kind="class"),
            define("prompt", 2, 3, "Base.prompt", "method"))))}
    assert await resolved(files, [at("app.py", use("prompt", 3, 8, "Job.run", "self")),
                                  at("app.py", use("missing", 4, 8, "Job.run", "self"))]) == [
        (AMBIGUOUS, ["base.py:Base.prompt"]), (UNRESOLVED, [])]


async def test_a_call_on_an_object_never_means_a_free_function_ending_its_name():
    """`progress.track()` on a variable: `progress.py`'s free function `track` ends the
    written name but is no member; the lone `Progress.track` method is the answer."""
    files = {"rich/progress.py": ("", FileSymbols(definitions=(
        define("track", 1, 5), define("Progress", 6, 20, kind="class"),
        define("track", 7, 9, "Progress.track", "method")))),
        "app.py": ("", FileSymbols())}
    assert await resolved(files, [at("app.py", use("track", 3, 9, "", "progress"))]) == [
        (RESOLVED, ["rich/progress.py:Progress.track"])]


async def test_java_calls_a_method_of_its_class_without_this():
    files = {"src/Job.java": ("", FileSymbols(definitions=(
        define("Job", 1, 20, kind="class"), define("step", 2, 3, "Job.step", "method"),
        define("run", 4, 6, "Job.run", "method")))),
        "src/Other.java": ("", FileSymbols(definitions=(
            define("step", 2, 3, "Other.step", "method"),)))}
    assert await resolved(files, [at("src/Job.java", use("step", 5, 8, "Job.run"))]) == [
        (RESOLVED, ["src/Job.java:Job.step"])]


async def test_ambiguity_is_ranked_and_outside_names_stay_unresolved():
    files = {"a/x.py": ("", FileSymbols(definitions=(define("load", 1, 2),))),
             "a/y.py": ("", FileSymbols(definitions=(define("load", 1, 2),))),
             "b/z.py": ("", FileSymbols(definitions=(define("load", 1, 2),))),
             "a/main.py": ("", FileSymbols(imports=(ImportBinding("json", "json", 1),)))}
    assert await resolved(files, [
        at("b/w.py", use("load", 3, 0)),  # same folder as b/z.py first
        at("a/main.py", use("load", 3, 5, "", "json")),  # json.load: the standard library
        at("a/main.py", use("print", 4, 0)),
    ]) == [(AMBIGUOUS, ["b/z.py:load", "a/x.py:load", "a/y.py:load"]), (UNRESOLVED, []),
           (UNRESOLVED, [])]


async def test_a_relative_import_and_a_re_export_resolve():
    files = {"pkg/__init__.py": ("", FileSymbols(imports=(
        ImportBinding("build", "._impl.build", 1),))),
        "pkg/_impl.py": ("", FileSymbols(definitions=(define("build", 1, 2),))),
        "tool.py": ("", FileSymbols(imports=(ImportBinding("build", "pkg.build", 1),)))}
    assert await resolved(files, [at("pkg/__init__.py", use("build", 1, 20, kind="import")),
                                  at("tool.py", use("build", 3, 0))]) == [
        (RESOLVED, ["pkg/_impl.py:build"]), (RESOLVED, ["pkg/_impl.py:build"])]


def test_the_suffix_index_finds_what_names_match_finds():
    index = SuffixIndex()
    names = ["src.pkg.mod.f", "pkg.f", "mod.f", "other.g", "f"]
    for name in names:
        index.add(name, name)
    for target in ("pkg.mod.f", "x.pkg.f", "f", "mod.f", "g", "a.b"):
        assert index.matching(target) == [n for n in names if names_match(n, target)], target


async def test_no_references_need_no_definitions():
    assert await resolve(MemoryStorage(), WS, []) == []
