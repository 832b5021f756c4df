"""A small Python workspace with its symbols written out by hand, stored as the pipeline
stores a parsed file (chunks and symbols in one replace_file), for the symbol-graph tests.

`pkg/store.py` defines helper() and Store (save, flush); `app.py` imports both and calls
them, also through a module alias; `other.py` has a second class with a `save` method, so
`obj.save()` with an unknown `obj` is ambiguous.
"""

from __future__ import annotations

from services.domain.models import Chunk, FileRecord, chunk_id, content_hash
from services.domain.symbols import (
    CALL,
    IMPORT,
    FileSymbols,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
)
from services.storage.port import Files

STORE = '''import os

def helper(x):
    return os.path.join(x, "a")

class Store:
    def save(self, item):
        helper(item)
        return self.flush()

    def flush(self):
        return True
'''
APP = '''from pkg.store import Store, helper
from pkg import store as st

def main():
    s = Store()
    s.save(1)
    helper(2)
    st.helper(3)

def flush():
    return False
'''
OTHER = '''class Disk:
    def save(self, item):
        return item

def run(obj):
    obj.save(1)
'''


def define(name: str, start: int, end: int, qualified: str = "", kind: str = "function",
           signature: str = "") -> SymbolDefinition:
    return SymbolDefinition(name, qualified or name, kind, start, end,
                            signature or f"def {name}(...)")


def use(name: str, line: int, column: int, scope: str = "", qualifier: str = "",
        kind: str = CALL) -> SymbolReference:
    return SymbolReference(name, qualifier, kind, line, column, scope)


SYMBOLS = {
    "pkg/__init__.py": ("", FileSymbols()),
    "pkg/store.py": (STORE, FileSymbols(
        definitions=(define("helper", 3, 4), define("Store", 6, 12, kind="class"),
                     define("save", 7, 9, "Store.save", "method"),
                     define("flush", 11, 12, "Store.flush", "method")),
        references=(use("os", 1, 7, kind=IMPORT), use("join", 4, 19, "helper", "os.path"),
                    use("helper", 8, 8, "Store.save"),
                    use("flush", 9, 20, "Store.save", "self")),
        imports=(ImportBinding("os", "os", 1),))),
    "app.py": (APP, FileSymbols(
        definitions=(define("main", 4, 8), define("flush", 10, 11)),
        references=(use("Store", 1, 22, kind=IMPORT), use("helper", 1, 29, kind=IMPORT),
                    use("store", 2, 16, kind=IMPORT), use("Store", 5, 8, "main"),
                    use("save", 6, 6, "main", "s"), use("helper", 7, 4, "main"),
                    use("helper", 8, 7, "main", "st")),
        imports=(ImportBinding("Store", "pkg.store.Store", 1),
                 ImportBinding("helper", "pkg.store.helper", 1),
                 ImportBinding("st", "pkg.store", 2)))),
    "other.py": (OTHER, FileSymbols(
        definitions=(define("Disk", 1, 3, kind="class"),
                     define("save", 2, 3, "Disk.save", "method"), define("run", 5, 6)),
        references=(use("save", 6, 8, "run", "obj"),))),
}


def stored_file(path: str, text: str) -> tuple[FileRecord, list[Chunk]]:
    """The file as one chunk of its whole text."""
    digest = content_hash(text)
    end = max(text.count("\n"), 1)
    chunk = Chunk(id=chunk_id(path, digest, 1, end), path=path, start_line=1, end_line=end,
                  symbol="", kind="module", language="python", text=text, content_hash=digest)
    record = FileRecord(path=path, content_hash=digest, size_bytes=len(text), mtime_ns=1,
                        language="python")
    return record, [chunk]


async def store_workspace(storage: Files, workspace_id: str,
                          files: dict[str, tuple[str, FileSymbols]] = SYMBOLS) -> None:
    for path, (text, symbols) in files.items():
        record, chunks = stored_file(path, text)
        await storage.replace_file(workspace_id, record, chunks, symbols)
