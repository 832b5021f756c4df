"""The `Symbols` role: each file's definitions, references and imports, stored with it."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    CALL,
    IMPORT,
    FileSymbols,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
)
from tests.integration.storage_contract.builders import (
    OTHER_WS,
    WS,
    make_chunk,
    make_file,
)


def definition(name: str, line: int, qualified: str = "", kind: str = "function",
               end: int | None = None) -> SymbolDefinition:
    return SymbolDefinition(name=name, qualified_name=qualified or name, kind=kind,
                            start_line=line, end_line=end or line + 1,
                            signature=f"def {name}()")


def call(name: str, line: int, scope: str = "", qualifier: str = "",
         column: int = 4) -> SymbolReference:
    return SymbolReference(name=name, qualifier=qualifier, kind=CALL, line=line,
                           column=column, scope=scope)


async def put(storage, path: str, symbols: FileSymbols | None, workspace: str = WS,
              marker: str = "x") -> None:
    chunks = [make_chunk(path, 1, f"def {marker}(): pass")]
    await storage.replace_file(workspace, make_file(path, chunks), chunks, symbols)


MOD = FileSymbols(
    definitions=(definition("helper", 1), definition("Store", 5, kind="class", end=20),
                 definition("save", 6, "Store.save", kind="method", end=9),
                 definition("save_all", 10, "Store.save_all", kind="method", end=12)),
    references=(call("save", 11, "Store.save_all", "self", column=13),
                call("helper", 7, "Store.save", column=8),
                SymbolReference("join", "os.path", CALL, 2, 11, "helper")),
    imports=(ImportBinding("os", "os", 1),))


async def test_symbols_round_trip_with_their_path(storage):
    await put(storage, "pkg/mod.py", MOD)
    stored = (await storage.get_symbols(WS, ["pkg/mod.py", "nope.py"]))["pkg/mod.py"]
    assert [d.qualified_name for d in stored.definitions] == [
        "helper", "Store", "Store.save", "Store.save_all"]
    assert {d.path for d in stored.definitions} == {"pkg/mod.py"}
    assert [(r.name, r.line, r.column, r.scope, r.qualifier) for r in stored.references] == [
        ("join", 2, 11, "helper", "os.path"), ("helper", 7, 8, "Store.save", ""),
        ("save", 11, 13, "Store.save_all", "self")]
    assert stored.imports == (ImportBinding("os", "os", 1, "pkg/mod.py"),)
    assert await storage.get_imports(WS, ["pkg/mod.py"]) == {"pkg/mod.py": list(stored.imports)}
    assert await storage.get_symbols(OTHER_WS, ["pkg/mod.py"]) == {}


async def test_a_file_stored_without_symbols_has_none(storage):
    await put(storage, "a.py", None)
    assert await storage.get_symbols(WS, ["a.py"]) == {"a.py": FileSymbols()}
    assert await storage.get_imports(WS, ["a.py"]) == {}


async def test_find_definitions_by_name_prefix_qualified_name_kind_and_path(storage):
    await put(storage, "pkg/mod.py", MOD)
    await put(storage, "lib/other.py", FileSymbols(definitions=(
        definition("save", 3), definition("saver", 8, kind="class"))))
    await put(storage, "x.py", MOD, workspace=OTHER_WS)

    async def names(limit: int = 50, offset: int = 0, **match) -> list[tuple[str, str]]:
        found = await storage.find_definitions(WS, DefinitionMatch(**match), limit, offset)
        return [(d.path, d.qualified_name) for d in found]

    assert await names(names=("save",)) == [("lib/other.py", "save"),
                                            ("pkg/mod.py", "Store.save")]
    assert await names(prefix="save") == [("lib/other.py", "save"), ("lib/other.py", "saver"),
                                          ("pkg/mod.py", "Store.save"),
                                          ("pkg/mod.py", "Store.save_all")]
    assert await names(prefix="save", limit=2, offset=1) == [("lib/other.py", "saver"),
                                                             ("pkg/mod.py", "Store.save")]
    assert await names(prefix="sav%") == []  # a prefix is literal text, not a pattern
    assert await names(prefix="save_") == [("pkg/mod.py", "Store.save_all")]
    assert await names(qualified_names=("Store.save",)) == [("pkg/mod.py", "Store.save")]
    assert await names(prefix="s", kinds=("class",)) == [("lib/other.py", "saver")]
    assert await names(names=("save",), path_glob="pkg/**") == [("pkg/mod.py", "Store.save")]
    assert await names(paths=("pkg/mod.py",), kinds=("method",)) == [
        ("pkg/mod.py", "Store.save"), ("pkg/mod.py", "Store.save_all")]
    assert await names(names=("nothing",)) == []


async def test_find_references_by_names_and_files(storage):
    await put(storage, "pkg/mod.py", MOD)
    await put(storage, "app.py", FileSymbols(references=(call("helper", 3),
                                                         SymbolReference("helper", "", IMPORT,
                                                                         1, 20, ""))))
    found = await storage.find_references(WS, ["helper", "join"])
    assert [(r.path, r.line, r.kind) for r in found] == [
        ("app.py", 1, IMPORT), ("app.py", 3, CALL), ("pkg/mod.py", 2, CALL),
        ("pkg/mod.py", 7, CALL)]
    assert [r.path for r in await storage.find_references(WS, ["helper"], ["pkg/mod.py"])] == [
        "pkg/mod.py"]
    assert await storage.find_references(WS, []) == []
    assert await storage.find_references(OTHER_WS, ["helper"]) == []


async def test_replacing_a_file_replaces_its_symbols(storage):
    await put(storage, "pkg/mod.py", MOD)
    await put(storage, "pkg/mod.py", FileSymbols(definitions=(definition("fresh", 1),)))
    assert await storage.find_definitions(WS, DefinitionMatch(names=("helper",)), 10) == []
    assert await storage.find_references(WS, ["save", "helper", "join"]) == []
    assert await storage.get_imports(WS, ["pkg/mod.py"]) == {}
    assert [d.name for d in await storage.find_definitions(WS, DefinitionMatch(), 10)] == [
        "fresh"]
    await put(storage, "pkg/mod.py", None)  # a file stored again without symbols keeps none
    assert await storage.find_definitions(WS, DefinitionMatch(), 10) == []


async def test_deleting_a_file_deletes_its_symbols(storage):
    await put(storage, "pkg/mod.py", MOD)
    await put(storage, "keep.py", FileSymbols(definitions=(definition("helper", 4),),
                                              references=(call("helper", 9),)))
    assert await storage.delete_files(WS, ["pkg/mod.py"]) == 1
    assert [d.path for d in await storage.find_definitions(
        WS, DefinitionMatch(names=("helper",)), 10)] == ["keep.py"]
    assert [r.path for r in await storage.find_references(WS, ["helper", "save"])] == [
        "keep.py"]
    assert await storage.get_symbols(WS, ["pkg/mod.py"]) == {}


async def test_a_reader_never_sees_a_files_chunks_without_its_symbols(storage):
    """The writer stores versions 1, 2, 3, ... of one file; version n's chunk reads
    `def vn(): pass` and its one definition is `vn`. A reader that reads the definition,
    then the chunk, then the definition again must see versions a <= b <= c: chunks
    written apart from their symbols (before or after them) would show a newer chunk than
    the definition read after it, or an older one than the definition read before it."""
    path = "flip.py"
    writing, reads = True, 0

    async def version(n: int) -> None:
        await put(storage, path, FileSymbols(definitions=(definition(f"v{n}", 1),)),
                  marker=f"v{n}")

    async def defined() -> int:
        symbols = (await storage.get_symbols(WS, [path]))[path]
        assert len(symbols.definitions) == 1, symbols  # never a file without its symbols
        return int(symbols.definitions[0].name[1:])

    async def writer() -> None:
        nonlocal writing
        give_up = time.monotonic() + 60
        n = 1
        try:
            while (n < 40 or reads < 10) and time.monotonic() < give_up:
                n += 1
                await version(n)
                await asyncio.sleep(0)
        finally:
            writing = False

    async def reader() -> None:
        nonlocal reads
        while writing:
            before = await defined()
            (chunk,) = await storage.get_chunks(WS, path)
            between = int(chunk.text.split("(")[0].removeprefix("def v"))
            after = await defined()
            assert before <= between <= after, (before, between, after)
            reads += 1
            await asyncio.sleep(0)

    await version(1)
    await asyncio.gather(writer(), reader(), reader())
    assert reads >= 10


async def test_line_texts_come_from_the_stored_chunks(storage):
    first = make_chunk("a.py", 1, "import os\n\ndef f():\n    return os.sep")
    second = make_chunk("a.py", 5, "x = f()")
    piece = make_chunk("a.py", 5, "y = 2", end=5)  # a later piece of line 5
    piece = dataclasses.replace(piece, start_column=7)
    await storage.replace_file(WS, make_file("a.py", [first, second, piece]),
                               [first, second, piece])
    await put(storage, "b.py", None, marker="g")
    found = await storage.line_texts(WS, [("a.py", 4), ("a.py", 5), ("a.py", 1),
                                          ("b.py", 1), ("b.py", 4), ("c.py", 1)])
    assert found == {("a.py", 1): "import os", ("a.py", 4): "    return os.sep",
                     ("a.py", 5): "x = f()", ("b.py", 1): "def g(): pass"}
    assert await storage.line_texts(WS, []) == {}
    assert await storage.line_texts(OTHER_WS, [("a.py", 1)]) == {}


async def test_a_later_layer_keeps_the_files_symbols(storage):
    await put(storage, "pkg/mod.py", MOD)
    before = await storage.get_symbols(WS, ["pkg/mod.py"])
    chunk = (await storage.get_chunks(WS, "pkg/mod.py"))[0]
    record = await storage.get_file(WS, "pkg/mod.py")
    assert await storage.set_embeddings(WS, "pkg/mod.py", record.content_hash,
                                        {chunk.id: [1.0, 0.0]})
    assert await storage.set_descriptions(WS, "pkg/mod.py", record.content_hash, "summary",
                                          {}, {})
    assert [d.qualified_name for d in await storage.find_definitions(
        WS, DefinitionMatch(names=("save",)), 10)] == ["Store.save"]
    assert [r.line for r in await storage.find_references(WS, ["helper"])] == [7]
    assert await storage.get_symbols(WS, ["pkg/mod.py"]) == before
