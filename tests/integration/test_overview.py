"""GetOverview over real gRPC: languages, layout, key modules with purposes, entry points and
symbols ranked by references; rebuilt when the index changes; cut to a small budget."""

from __future__ import annotations

from knowport.v1 import knowledge_service_pb2 as pb
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server
from tests.support.openai_server import OpenAIServer
from tests.support.workspaces import awkward_workspace, index, shop_workspace, write_files


async def overview(server, **fields) -> pb.GetOverviewResponse:
    return await server.knowledge.GetOverview(pb.GetOverviewRequest(**fields))


async def test_overview_of_a_small_project(tmp_path, storage):
    root = shop_workspace(tmp_path)
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        found = await overview(server)
        shallow = await overview(server, max_depth=1)
    assert found.workspace == server.workspace.id and found.root == str(root)
    assert not found.truncated

    files = [p for p in root.rglob("*") if p.is_file()]
    by_language = {s.language: (s.files, s.bytes) for s in found.languages}
    python = [p for p in files if p.suffix == ".py"]
    assert by_language["python"] == (len(python), sum(p.stat().st_size for p in python))
    assert [s.bytes for s in found.languages] == sorted((s.bytes for s in found.languages),
                                                        reverse=True)

    layout = {entry.path: entry.files for entry in found.layout}
    assert layout["."] == len(files) and layout["shop"] == 5 and layout["docs"] == 1
    assert [e.path for e in shallow.layout][0] == "." and all(
        "/" not in e.path for e in shallow.layout)

    modules = [(m.path, m.purpose) for m in found.key_modules]
    assert modules[0] == ("README.md", "Shop is a tiny inventory service that the retrieval "
                                       "tests search. It keeps stock and computes prices.")
    purposes = dict(modules)
    assert purposes["shop/inventory.py"] == "Inventory records and the registry that keeps them."
    assert purposes["shop/cli.py"] == "The shop's command line."

    assert found.entry_points[0] == "shop/cli.py"  # declared in pyproject.toml
    assert "shop/__main__.py" in found.entry_points
    assert "shop/pricing.py" not in found.entry_points

    symbols = [(s.name, s.path) for s in found.symbols]
    assert symbols[0] == ("InventoryRegistry", "shop/inventory.py")
    assert found.symbols[0].rank == 1.0 and found.symbols[0].kind == pb.SYMBOL_KIND_CLASS
    ranks = [s.rank for s in found.symbols]
    assert ranks == sorted(ranks, reverse=True) and all(0 < r <= 1 for r in ranks)
    assert ("compute_discount", "shop/pricing.py") in symbols
    assert "stock_value" not in {name for name, _ in symbols}  # nobody else refers to it


async def test_enrichment_supplies_purposes_and_a_new_index_a_new_overview(tmp_path):
    root = shop_workspace(tmp_path)
    storage = MemoryStorage()
    with OpenAIServer() as llm:
        env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat"}
        async with running_server(storage, root, **env) as server:
            await index(server.settings, storage)
            first = await overview(server)
            record = await storage.get_file(server.workspace.id, "shop/inventory.py")
            purposes = {m.path: m.purpose for m in first.key_modules}
            assert record.summary and purposes["shop/inventory.py"] == " ".join(
                record.summary.split())

            write_files(root, {
                "shop/catalog.py": '"""The product catalog."""\n\n\nclass CatalogIndex:\n'
                                   "    pass\n",
                "shop/finder.py": "from shop.catalog import CatalogIndex\n\n\n"
                                  "def find():\n    return CatalogIndex()\n",
                "lib/helpers.go": "// Package helpers holds small tools.\npackage main\n\n"
                                  "func main() {\n}\n"})
            await index(server.settings, storage)
            second = await overview(server)
    assert "lib/helpers.go" in second.entry_points
    assert "CatalogIndex" in {s.name for s in second.symbols}
    assert "shop/catalog.py" in {m.path for m in second.key_modules}
    assert sum(s.files for s in second.languages) == sum(s.files for s in first.languages) + 3


async def test_lists_are_cut_to_a_small_budget_most_important_first(tmp_path):
    root = awkward_workspace(tmp_path, big_bytes=50_000, tiny_files=400)
    storage = MemoryStorage()
    async with running_server(storage, root) as roomy, \
            running_server(storage, root, KNOWPORT_MAX_RESPONSE_BYTES="2048") as tight:
        await index(roomy.settings, storage)
        full = await overview(roomy, max_depth=8)
        cut = await overview(tight, max_depth=8)
    assert full.ByteSize() <= 50_000 and cut.ByteSize() <= 2048 and cut.truncated
    for field in ("languages", "layout", "key_modules", "entry_points", "symbols"):
        shown, everything = list(getattr(cut, field)), list(getattr(full, field))
        assert shown == everything[:len(shown)], field
    assert cut.layout and cut.symbols and cut.key_modules
    assert len(cut.layout) < len(full.layout) and len(cut.symbols) < len(full.symbols)


# Entry points by every sign the overview knows, and files whose first lines are for tools
# (a shebang, an encoding cookie, a license tag) before the line that says what they are for.
STARTERS = {
    "pkg/__init__.py": '"""The pkg package."""\n',
    "pkg/__main__.py": "from pkg._main import run\n\nrun()\n",
    "pkg/_main.py": "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n"
                    "# Starts the pkg service.\n\n\ndef run():\n    return 0\n",
    "pkg/engine.py": "# SPDX-License-Identifier: MIT\n# The engine that pkg runs.\n\n\n"
                     "def crank():\n    return 1\n",
    "tools/rebuild.py": "#!/usr/bin/env python3\n# Rebuilds the search cache.\nimport sys\n\n\n"
                        "def rebuild():\n    return sys.argv\n\n\n"
                        'if __name__ == "__main__":\n    rebuild()\n',
    "app/main.py": '"""The web application\'s start."""\n',
    "app/cli.py": '"""The command line of the web application."""\n',
    "app/views.py": '"""Pages."""\n\nfrom pkg.engine import crank\n\n\n'
                    "def page():\n    return crank()\n",
    "scripts/deploy.sh": "#!/bin/bash\n# Deploys the service.\nset -e\necho deployed\n",
}


async def test_entry_points_and_purposes_past_the_lines_for_tools(tmp_path, storage):
    root = write_files(tmp_path, STARTERS)
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        found = await overview(server)
    entry_points = set(found.entry_points)
    for path in ("pkg/__main__.py", "pkg/_main.py", "tools/rebuild.py", "app/main.py",
                 "app/cli.py", "scripts/deploy.sh"):
        assert path in entry_points, path
    assert not entry_points & {"pkg/engine.py", "app/views.py", "pkg/__init__.py"}
    purposes = {m.path: m.purpose for m in found.key_modules}
    assert purposes["pkg/_main.py"] == "Starts the pkg service."
    assert purposes["tools/rebuild.py"] == "Rebuilds the search cache."
    assert purposes["scripts/deploy.sh"] == "Deploys the service."
    assert purposes["pkg/engine.py"] == "The engine that pkg runs."
    assert not any(p.startswith("/") or "coding" in p for p in purposes.values()), purposes
