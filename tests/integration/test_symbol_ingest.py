"""The symbol graph kept by real ingests (parse pass -> storage) on both backends: a call
across files, an edited caller, a file touched but unchanged, a deleted file."""

from __future__ import annotations

import os

from knowport.v1 import knowledge_service_pb2 as pb
from tests.support.grpc_server import running_server
from tests.support.symbol_fixture import APP, OTHER, STORE
from tests.support.workspaces import index, write_files


async def references(server, qualified_name: str, path: str) -> list[tuple[str, int, str]]:
    found = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name=qualified_name, path=path, reference_kinds=[pb.REFERENCE_KIND_CALL]))
    return [(f.path, r.line, pb.Resolution.Name(r.resolution)) for f in found.files
            for r in f.references]


async def test_ingest_keeps_the_graph_current(tmp_path, storage):
    root = write_files(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE,
                                  "app.py": APP, "other.py": OTHER})
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        assert await references(server, "helper", "pkg/store.py") == [
            ("app.py", 7, "RESOLUTION_RESOLVED"),
            ("app.py", 8, "RESOLUTION_RESOLVED"),
            ("pkg/store.py", 8, "RESOLUTION_RESOLVED")]
        callees = await server.knowledge.GetCallGraph(pb.GetCallGraphRequest(
            qualified_name="main", path="app.py", direction=pb.CALL_DIRECTION_CALLEES))
        assert {n.definition.qualified_name for n in callees.nodes} >= {"main", "helper",
                                                                         "Store"}

        # An edited caller: its call is gone after the next incremental ingest.
        (root / "app.py").write_text(APP.replace("    helper(2)\n", ""), encoding="utf-8")
        # A file touched but unchanged keeps its symbols (its chunks are reused).
        stat = (root / "other.py").stat()
        os.utime(root / "other.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        await index(server.settings, storage)
        assert await references(server, "helper", "pkg/store.py") == [
            ("app.py", 7, "RESOLUTION_RESOLVED"), ("pkg/store.py", 8, "RESOLUTION_RESOLVED")]
        run = await server.knowledge.FindSymbols(pb.FindSymbolsRequest(name="run"))
        assert [d.path for d in run.definitions] == ["other.py"]

        # A deleted file takes its definitions and references with it.
        (root / "other.py").unlink()
        await index(server.settings, storage)
        assert not (await server.knowledge.FindSymbols(pb.FindSymbolsRequest(
            name="run"))).definitions
        save = await server.knowledge.FindReferences(pb.FindReferencesRequest(
            qualified_name="Store.save", path="pkg/store.py"))
        # obj.save() went with other.py, and Disk.save with it: s.save() is Store's now
        assert [(f.path, r.line, r.resolution) for f in save.files for r in f.references] == [
            ("app.py", 6, pb.RESOLUTION_RESOLVED)]
