"""`knowport symbols | refs | calls | impact` against a real server over a real ingest,
human and --json."""

from __future__ import annotations

import json

import pytest

from tests.support.cli_server import knowport, served_and_indexed
from tests.support.symbol_fixture import APP, OTHER, STORE
from tests.support.workspaces import write_files


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = write_files(tmp_path_factory.mktemp("ws"), {
        "pkg/__init__.py": "", "pkg/store.py": STORE, "app.py": APP, "other.py": OTHER})
    with served_and_indexed(root) as env:
        yield env


def test_symbols_by_name_prefix_and_qualified_name(served):
    human = knowport(served, "symbols", "save")
    assert human.returncode == 0, human.stderr
    assert "other.py:2" in human.stdout and "Disk.save" in human.stdout
    assert "pkg/store.py:7" in human.stdout and "Store.save" in human.stdout
    found = json.loads(knowport(served, "symbols", "Store.*", "--json").stdout)
    assert found == {}  # a prefix is of bare names: none starts with "Store."
    found = json.loads(knowport(served, "symbols", "Store.flush", "--json").stdout)
    assert [(d["path"], d["kind"]) for d in found["definitions"]] == [
        ("pkg/store.py", "SYMBOL_KIND_METHOD")]
    found = json.loads(knowport(served, "symbols", "fl*", "--kind", "function",
                                "--json").stdout)
    assert [d["path"] for d in found["definitions"]] == ["app.py"]


def test_refs_calls_and_impact(served):
    human = knowport(served, "refs", "pkg/store.py:helper", "--kind", "call")
    assert human.returncode == 0, human.stderr
    assert "references to helper (pkg/store.py:3): 3" in human.stdout
    assert "st.helper(3)" in human.stdout and "-> helper (pkg/store.py:3)" in human.stdout
    refs = json.loads(knowport(served, "refs", "save", "--json").stdout)
    by_file = {f["path"]: f["references"] for f in refs["files"]}
    # `s = Store(); s.save(1)`: Store's; `obj.save(1)` on an unknown `obj`: either class's
    assert [(r["line"], r["resolution"], r["target"]["qualified_name"])
            for r in by_file["app.py"]] == [(6, "RESOLUTION_RESOLVED", "Store.save")]
    unknown = [r for r in by_file["other.py"] if r["resolution"] == "RESOLUTION_AMBIGUOUS"]
    assert [len(r["candidates"]) for r in unknown] == [2]

    calls = knowport(served, "calls", "app.py:main", "--callees", "--depth", "1")
    assert calls.returncode == 0, calls.stderr
    assert "main -> helper (line 7, 8)" in calls.stdout
    assert "main -> Store.save (line 6)" in calls.stdout and "Disk.save" not in calls.stdout
    callers = json.loads(knowport(served, "calls", "pkg/store.py:helper", "--json").stdout)
    assert {n["definition"]["qualified_name"] for n in callers["nodes"]} >= {
        "helper", "main", "Store.save"}

    impact = json.loads(knowport(served, "impact", "pkg/store.py", "--start-line", "3",
                                 "--end-line", "4", "--json").stdout)
    assert [d["qualified_name"] for d in impact["definitions"]] == ["helper"]
    assert impact["total_references"] == 4

    missing = knowport(served, "calls", "app.py:nope")
    assert missing.returncode != 0 and "NOT_FOUND" in missing.stderr
    usage = knowport(served, "calls", "main")
    assert usage.returncode == 2 and "PATH:QUALIFIED_NAME" in usage.stderr
