"""find_symbol, find_references and call_graph through the MCP SDK's client, against a real
gRPC server: structured results, paging on after a cut to a small cap, and tool errors."""

from __future__ import annotations

from mcp import Client

from services.domain.symbols import FileSymbols
from services.mcp_bridge.server import build_server
from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_mcp_tools import call, failure
from tests.support.grpc_server import running_server, settings_for
from tests.support.symbol_fixture import define, store_workspace, use


async def test_symbol_tools_answer_with_structured_results(tmp_path):
    storage = MemoryStorage()
    async with running_server(storage, tmp_path) as server:
        await store_workspace(storage, server.workspace.id)
        settings = settings_for(tmp_path, GRPC_PORT=str(server.running.port))
        async with Client(build_server(settings)) as client:
            found = await call(client, "find_symbol", name="save", kinds=["method"])
            assert [(d["path"], d["qualified_name"], d["kind"]) for d in found["definitions"]] \
                == [("other.py", "Disk.save", "method"), ("pkg/store.py", "Store.save", "method")]

            refs = await call(client, "find_references", qualified_name="helper",
                              path="pkg/store.py", kinds=["call"])
            assert refs["definition"]["path"] == "pkg/store.py"
            assert [(f["path"], [r["line"] for r in f["references"]]) for f in refs["files"]] \
                == [("app.py", [7, 8]), ("pkg/store.py", [8])]
            first = refs["files"][0]["references"][0]
            assert first["resolution"] == "resolved" and first["snippet"] == "helper(2)"
            assert first["target"]["qualified_name"] == "helper"

            ambiguous = await call(client, "find_references", name="save")
            row = ambiguous["files"][0]["references"][0]
            assert row["resolution"] == "ambiguous"
            assert [c["qualified_name"] for c in row["candidates"]] == ["Disk.save",
                                                                        "Store.save"]

            graph = await call(client, "call_graph", qualified_name="main", path="app.py",
                               direction="callees", depth=1)
            names = [n["qualified_name"] for n in graph["nodes"]]
            assert names[0] == "main" and "helper" in names
            helper = names.index("helper")
            assert {"caller": 0, "callee": helper, "lines": [7, 8], "ambiguous": False} \
                in graph["edges"]

            assert "NOT_FOUND" in await failure(client, "call_graph", qualified_name="nope",
                                                path="app.py")
            assert "INVALID_ARGUMENT" in await failure(client, "find_symbol")


async def test_a_result_cut_to_the_cap_continues_where_it_stopped(tmp_path):
    storage = MemoryStorage()
    long_line = "helper(1)  # " + "x" * 180
    files = {"lib.py": ("def helper(x):\n    return x\n",
                        FileSymbols(definitions=(define("helper", 1, 2),))),
             "many.py": ("\n".join([long_line] * 120) + "\n", FileSymbols(
                 references=tuple(use("helper", i, 0) for i in range(1, 121))))}
    async with running_server(storage, tmp_path) as server:
        await store_workspace(storage, server.workspace.id, files)
        settings = settings_for(tmp_path, GRPC_PORT=str(server.running.port))
        async with Client(build_server(settings, max_result_chars=12_000)) as client:
            lines, token, calls = [], "", 0
            while True:
                page = await client.call_tool("find_references", {
                    "qualified_name": "helper", "path": "lib.py", "page_token": token})
                assert not page.is_error, page.content[0].text
                assert len(page.model_dump_json(by_alias=True, exclude_none=True)) <= 12_000
                data = page.structured_content
                lines += [r["line"] for f in data["files"] for r in f["references"]]
                calls += 1
                token = data["next_page_token"]
                if not token:
                    break
    assert lines == list(range(1, 121)) and calls > 2
