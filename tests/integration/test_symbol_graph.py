"""FindSymbols, FindReferences, GetCallGraph and GetImpact over real gRPC, on both backends:
resolution through imports, module aliases, enclosing classes and ambiguity; paging and
the byte budget; updates and deletes; bad requests."""

from __future__ import annotations

import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain.symbols import FileSymbols, ImportBinding
from tests.support.grpc_server import running_server
from tests.support.symbol_fixture import APP, define, store_workspace, stored_file, use
from tests.support.symbols import extract


@pytest.fixture
async def server(tmp_path, storage):
    async with running_server(storage, tmp_path) as handle:
        await store_workspace(storage, handle.workspace.id)
        yield handle


def where(refs: pb.FindReferencesResponse | pb.GetImpactResponse) -> list[tuple]:
    """(path, line, resolution, target or candidates) of every reference, in order."""
    rows = []
    for file in refs.files:
        for r in file.references:
            meant = (f"{r.target.path}:{r.target.qualified_name}"
                     if r.resolution == pb.RESOLUTION_RESOLVED
                     else [f"{c.path}:{c.qualified_name}" for c in r.candidates])
            rows.append((file.path, r.line, pb.Resolution.Name(r.resolution)[11:], meant))
    return rows


async def test_find_symbols_by_name_prefix_and_qualified_name(server):
    find = server.knowledge.FindSymbols
    found = await find(pb.FindSymbolsRequest(name="save"))
    assert [(d.path, d.qualified_name, d.kind, d.start_line, d.end_line)
            for d in found.definitions] == [
        ("other.py", "Disk.save", pb.SYMBOL_KIND_METHOD, 2, 3),
        ("pkg/store.py", "Store.save", pb.SYMBOL_KIND_METHOD, 7, 9)]
    assert found.definitions[0].signature == "def save(...)" and not found.next_page_token
    assert [d.qualified_name for d in (await find(pb.FindSymbolsRequest(
        qualified_name="Store.flush"))).definitions] == ["Store.flush"]
    assert [d.path for d in (await find(pb.FindSymbolsRequest(
        name="flush", kinds=[pb.SYMBOL_KIND_FUNCTION]))).definitions] == ["app.py"]
    assert [d.qualified_name for d in (await find(pb.FindSymbolsRequest(
        prefix="S", path_glob="pkg/**"))).definitions] == ["Store"]
    assert [d.qualified_name for d in (await find(pb.FindSymbolsRequest(
        prefix="s"))).definitions] == ["Disk.save", "Store.save"]


async def test_paging_find_symbols_covers_every_definition_once(server):
    seen, token = [], ""
    for _ in range(10):
        page = await server.knowledge.FindSymbols(pb.FindSymbolsRequest(
            prefix="s", page_size=1, page_token=token, path_glob="**"))
        seen += [(d.path, d.qualified_name) for d in page.definitions]
        token = page.next_page_token
        if not token:
            break
    assert seen == [("other.py", "Disk.save"), ("pkg/store.py", "Store.save")]


async def test_references_of_a_definition_through_imports_aliases_and_scopes(server):
    found = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name="helper", path="pkg/store.py"))
    assert found.definition.qualified_name == "helper" and found.definition.path == "pkg/store.py"
    resolved = "pkg/store.py:helper"
    assert where(found) == [("app.py", 1, "RESOLVED", resolved),
                            ("app.py", 7, "RESOLVED", resolved),
                            ("app.py", 8, "RESOLVED", resolved),  # st.helper, st = pkg.store
                            ("pkg/store.py", 8, "RESOLVED", resolved)]
    assert found.total_references == 4 and not found.truncated
    by_line = {r.line: r for f in found.files for r in f.references if f.path == "app.py"}
    assert by_line[8].snippet == "st.helper(3)" and by_line[8].qualifier == "st"
    assert by_line[7].kind == pb.REFERENCE_KIND_CALL and by_line[7].scope == "main"
    assert by_line[1].kind == pb.REFERENCE_KIND_IMPORT
    calls = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name="helper", path="pkg/store.py",
        reference_kinds=[pb.REFERENCE_KIND_CALL]))
    assert [(p, line) for p, line, *_ in where(calls)] == [("app.py", 7), ("app.py", 8),
                                                            ("pkg/store.py", 8)]


async def test_an_unknown_receiver_is_ambiguous_and_self_is_the_enclosing_class(server):
    save = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name="Store.save", path="pkg/store.py"))
    # `s.save()` and `obj.save()`: both classes define save; same file ranks first.
    assert where(save) == [
        ("app.py", 6, "AMBIGUOUS", ["other.py:Disk.save", "pkg/store.py:Store.save"]),
        ("other.py", 6, "AMBIGUOUS", ["other.py:Disk.save", "pkg/store.py:Store.save"])]
    flush = await server.knowledge.FindReferences(pb.FindReferencesRequest(name="flush"))
    # self.flush() is Store's, not app.py's top-level flush()
    assert where(flush) == [("pkg/store.py", 9, "RESOLVED", "pkg/store.py:Store.flush")]
    os_join = await server.knowledge.FindReferences(pb.FindReferencesRequest(name="join"))
    assert where(os_join) == [("pkg/store.py", 4, "UNRESOLVED", [])]  # the standard library


async def test_call_graph_callees_and_callers_across_files(server):
    callees = await server.knowledge.GetCallGraph(pb.GetCallGraphRequest(
        qualified_name="main", path="app.py", direction=pb.CALL_DIRECTION_CALLEES, depth=2))
    names = [n.definition.qualified_name for n in callees.nodes]
    assert names[0] == "main" and callees.nodes[0].depth == 0
    edges = {(names[e.caller], names[e.callee]): (list(e.lines), e.ambiguous)
             for e in callees.edges}
    assert edges[("main", "Store")] == ([5], False)
    assert edges[("main", "helper")] == ([7, 8], False)
    assert edges[("main", "Store.save")] == ([6], True)
    assert edges[("main", "Disk.save")] == ([6], True)
    # helper was reached surely, so the walk goes on from it: os.path.join is unresolved
    assert callees.unresolved_calls == 1
    assert not callees.truncated

    callers = await server.knowledge.GetCallGraph(pb.GetCallGraphRequest(
        qualified_name="helper", path="pkg/store.py", depth=2))
    names = [(n.definition.qualified_name, n.depth) for n in callers.nodes]
    assert names[0] == ("helper", 0)
    assert {("Store.save", 1), ("main", 1)} <= set(names)
    edges = {(callers.nodes[e.caller].definition.qualified_name,
              callers.nodes[e.callee].definition.qualified_name): e.ambiguous
             for e in callers.edges}
    assert edges[("Store.save", "helper")] is False and edges[("main", "helper")] is False
    assert edges[("main", "Store.save")] is True  # depth 2: s.save() may be Store.save

    capped = await server.knowledge.GetCallGraph(pb.GetCallGraphRequest(
        qualified_name="main", path="app.py", direction=pb.CALL_DIRECTION_CALLEES,
        max_nodes=2))
    assert len(capped.nodes) == 2 and capped.truncated
    assert all(e.caller < 2 and e.callee < 2 for e in capped.edges)


async def test_impact_of_a_line_span_and_of_a_file(server):
    span = await server.knowledge.GetImpact(pb.GetImpactRequest(path="pkg/store.py",
                                                                start_line=3, end_line=4))
    assert [d.qualified_name for d in span.definitions] == ["helper"]
    assert [(p, line) for p, line, *_ in where(span)] == [
        ("app.py", 1), ("app.py", 7), ("app.py", 8), ("pkg/store.py", 8)]
    whole = await server.knowledge.GetImpact(pb.GetImpactRequest(path="pkg/store.py"))
    assert {d.qualified_name for d in whole.definitions} == {"helper", "Store", "Store.save",
                                                            "Store.flush"}
    assert [(p, line) for p, line, *_ in where(whole)] == [  # uses in other files only
        ("app.py", 1), ("app.py", 1), ("app.py", 5), ("app.py", 6), ("app.py", 7),
        ("app.py", 8), ("other.py", 6)]
    assert whole.total_references == 7


async def test_reference_pages_and_a_small_budget_continue_where_they_stopped(tmp_path,
                                                                              storage):
    many = "\n".join(f"    helper({i})  # {'x' * 150}" for i in range(300))
    files = {"pkg/store.py": ("def helper(x):\n    return x\n",
                              FileSymbols(definitions=(define("helper", 1, 2),))),
             "many.py": ("def caller():\n" + many + "\n", FileSymbols(
                 definitions=(define("caller", 1, 301),),
                 references=tuple(use("helper", 2 + i, 4, "caller") for i in range(300))))}
    async with running_server(storage, tmp_path,
                              KNOWPORT_MAX_RESPONSE_BYTES="8000") as handle:
        await store_workspace(storage, handle.workspace.id, files)
        lines, token, pages = [], "", 0
        while True:
            page = await handle.knowledge.FindReferences(pb.FindReferencesRequest(
                qualified_name="helper", path="pkg/store.py", page_size=500,
                page_token=token))
            assert page.ByteSize() <= 8000 and page.total_references == 300
            lines += [r.line for f in page.files for r in f.references]
            pages += 1
            token = page.next_page_token
            assert page.truncated == bool(token)
            if not token:
                break
    assert lines == list(range(2, 302)) and pages > 2


async def test_an_edited_caller_and_a_deleted_file_change_the_answers(server):
    ws = server.workspace.id
    edited = APP.replace("    helper(2)\n", "    pass\n")
    record, chunks = stored_file("app.py", edited)
    await server.storage.replace_file(ws, record, chunks, FileSymbols(
        definitions=(define("main", 4, 8),),
        references=(use("helper", 1, 29, kind="import"), use("helper", 8, 7, "main", "st")),
        imports=(ImportBinding("helper", "pkg.store.helper", 1),
                 ImportBinding("st", "pkg.store", 2))))
    found = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name="helper", path="pkg/store.py"))
    assert [(p, line) for p, line, *_ in where(found)] == [("app.py", 1), ("app.py", 8),
                                                           ("pkg/store.py", 8)]
    await server.storage.delete_files(ws, ["app.py"])
    found = await server.knowledge.FindReferences(pb.FindReferencesRequest(
        qualified_name="helper", path="pkg/store.py"))
    assert [(p, line) for p, line, *_ in where(found)] == [("pkg/store.py", 8)]
    assert not (await server.knowledge.FindSymbols(pb.FindSymbolsRequest(name="main"))).definitions


BAD_REQUESTS = [
    ("FindSymbols", pb.FindSymbolsRequest(), grpc.StatusCode.INVALID_ARGUMENT),
    ("FindSymbols", pb.FindSymbolsRequest(name="a", prefix="b"),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("FindSymbols", pb.FindSymbolsRequest(name="a" * 513), grpc.StatusCode.INVALID_ARGUMENT),
    ("FindSymbols", pb.FindSymbolsRequest(name="a", kinds=[0]),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("FindSymbols", pb.FindSymbolsRequest(name="a", page_size=-1),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("FindSymbols", pb.FindSymbolsRequest(name="a", page_token="junk"),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("FindReferences", pb.FindReferencesRequest(), grpc.StatusCode.INVALID_ARGUMENT),
    ("FindReferences", pb.FindReferencesRequest(qualified_name="helper"),
     grpc.StatusCode.INVALID_ARGUMENT),  # no path
    ("FindReferences", pb.FindReferencesRequest(qualified_name="nope", path="app.py"),
     grpc.StatusCode.NOT_FOUND),
    ("FindReferences", pb.FindReferencesRequest(name="x", path="app.py"),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("GetCallGraph", pb.GetCallGraphRequest(qualified_name="main", path="../x.py"),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("GetCallGraph", pb.GetCallGraphRequest(qualified_name="main", path="app.py", depth=-1),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("GetCallGraph", pb.GetCallGraphRequest(qualified_name="Main", path="app.py"),
     grpc.StatusCode.NOT_FOUND),
    ("GetImpact", pb.GetImpactRequest(path="missing.py"), grpc.StatusCode.NOT_FOUND),
    ("GetImpact", pb.GetImpactRequest(path="app.py", start_line=5, end_line=2),
     grpc.StatusCode.INVALID_ARGUMENT),
]


async def test_bad_requests_get_a_clear_status(server):
    for rpc, request, code in BAD_REQUESTS:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await getattr(server.knowledge, rpc)(request)
        assert raised.value.code() == code, (rpc, request, raised.value.details())


async def test_uses_through_an_aliased_import_are_references_and_calls(tmp_path, storage):
    """`from .util import slugify as slug; slug(x)`: a use of slugify, found from it, and
    a call edge to it (extracted for real)."""
    util = "def slugify(text):\n    return text\n"
    page = ("from .util import slugify as slug\n\n\ndef title(x):\n    return slug(x)\n")
    async with running_server(storage, tmp_path) as handle:
        await store_workspace(storage, handle.workspace.id, {
            path: (text, extract(path, text, "python"))
            for path, text in (("site/util.py", util), ("site/page.py", page))})
        refs = await handle.knowledge.FindReferences(pb.FindReferencesRequest(
            qualified_name="slugify", path="site/util.py"))
        assert where(refs) == [("site/page.py", 1, "RESOLVED", "site/util.py:slugify"),
                               ("site/page.py", 5, "RESOLVED", "site/util.py:slugify")]
        callers = await handle.knowledge.GetCallGraph(pb.GetCallGraphRequest(
            qualified_name="slugify", path="site/util.py", depth=1))
        assert [n.definition.qualified_name for n in callers.nodes] == ["slugify", "title"]
