"""References kept as columns: how they leave a parse worker and how memory storage reads them."""

from __future__ import annotations

import pickle

from services.domain.symbols import CALL, OTHER, FileSymbols, ReferenceColumns, SymbolReference
from services.ingestor.chunking import parse_to_file
from services.storage.memory.symbol_index import SymbolIndex

SOURCE = "def helper():\n    pass\n\n" + "helper()\n" * 5


def test_references_leave_a_worker_as_columns_with_each_name_once() -> None:
    references = parse_to_file("pkg/a.py", SOURCE, "python").symbols.references
    data = pickle.dumps(references)
    # No record per reference, and the five calls' name is one string, sent once.
    assert b"SymbolReference" not in data and data.count(b"helper") == 1
    back = pickle.loads(data)
    assert list(back) == [SymbolReference("helper", "", CALL, line, 0, "", "pkg/a.py")
                          for line in range(4, 9)]
    assert back[1] == SymbolReference("helper", "", CALL, 5, 0, "", "pkg/a.py")
    assert back == references and len(back) == 5


def test_columns_out_of_storage_order_are_read_in_order() -> None:
    # Two references at one place (extraction never makes them) and one before them.
    columns = ReferenceColumns(["b", "a", "c"], ["", "", "x"], [CALL, OTHER, CALL],
                               [3, 3, 1], [4, 4, 0], ["", "", "f"])
    index = SymbolIndex()
    index.add("m.py", FileSymbols(references=columns))
    assert index.references(["a", "b", "c"], ()) == [
        SymbolReference("c", "x", CALL, 1, 0, "f", "m.py"),
        SymbolReference("a", "", OTHER, 3, 4, "", "m.py"),
        SymbolReference("b", "", CALL, 3, 4, "", "m.py"),
    ]
    assert list(index.files["m.py"].references) == index.references(["a", "b", "c"], ())
    index.drop("m.py")
    assert index.references(["a"], ()) == [] and not index.files
