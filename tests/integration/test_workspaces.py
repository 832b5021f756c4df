"""WorkspaceService over real gRPC, on both backends: create (idempotent by root), get, list
(paged), delete (also under a running ingest), the root rules, each workspace's own index,
and confinement: nothing outside the registered roots is ever indexed or returned."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import grpc
import pytest

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import lock_service_pb2 as lock_pb
from knowport.v1 import workspace_service_pb2 as pb
from knowport.v1 import workspace_service_pb2_grpc as pb_grpc
from services.config import ConfigError
from services.server.app import start_server
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, settings_for
from tests.support.ingest_jobs import finished_job
from tests.support.openai_server import OpenAIServer
from tests.support.watchdog import within

CANARY = "zqxcanaryword"


def repo(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def default_repo(tmp_path: Path) -> Path:
    return repo(tmp_path / "main", {"main.py": "def main_entry():\n    return 1\n"})


def stub(server) -> pb_grpc.WorkspaceServiceStub:
    return pb_grpc.WorkspaceServiceStub(server.channel)


async def create(server, root: Path | str, name: str = "") -> pb.CreateWorkspaceResponse:
    return await stub(server).CreateWorkspace(pb.CreateWorkspaceRequest(
        root=str(root), display_name=name))


async def failure(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def ingest(server, workspace: str, **fields) -> ingest_pb.IngestJob:
    started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest(
        workspace=workspace, **fields))
    job = await finished_job(server, started.job.job_id)
    assert job.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED, job.message
    return job


async def paused(server, job_id: str) -> None:
    """Returns once the job reads PAUSED (its wait for the LLM lock)."""
    request = ingest_pb.GetIngestJobRequest(job_id=job_id)
    stream = server.ingest.WatchIngestJob(ingest_pb.WatchIngestJobRequest(job_id=job_id))
    async for update in stream:
        if update.job.state == ingest_pb.INGEST_JOB_STATE_PAUSED:
            stream.cancel()
            return
    raise AssertionError((await server.ingest.GetIngestJob(request)).job.message)


async def test_create_get_list_delete(storage, tmp_path):
    other = repo(tmp_path / "lib", {"lib.py": "def helper():\n    pass\n"})
    async with running_server(storage, default_repo(tmp_path)) as server:
        made = await create(server, other, "the library")
        assert made.created and made.workspace.root == str(other)
        assert made.workspace.display_name == "the library" and not made.workspace.is_default
        assert made.workspace.id.startswith("lib-")
        # Idempotent by root, however the root is spelled.
        for spelling in (other, f"{other}/", f"{tmp_path}/./lib"):
            again = await create(server, spelling, "another name")
            assert not again.created and again.workspace == made.workspace
        got = await stub(server).GetWorkspace(pb.GetWorkspaceRequest(workspace=made.workspace.id))
        assert got.workspace == made.workspace
        default = (await stub(server).GetWorkspace(pb.GetWorkspaceRequest())).workspace
        assert default.is_default and default.id == server.workspace.id

        listed = await stub(server).ListWorkspaces(pb.ListWorkspacesRequest())
        assert sorted(w.id for w in listed.workspaces) == sorted([default.id, made.workspace.id])
        paged, token = [], ""
        for _ in range(3):
            page = await stub(server).ListWorkspaces(pb.ListWorkspacesRequest(
                page_size=1, page_token=token))
            paged += [w.id for w in page.workspaces]
            if not (token := page.next_page_token):
                break
        assert paged == [w.id for w in listed.workspaces]

        gone = await stub(server).DeleteWorkspace(pb.DeleteWorkspaceRequest(
            workspace=made.workspace.id))
        assert gone.workspace.id == made.workspace.id
        err = await failure(stub(server).GetWorkspace(pb.GetWorkspaceRequest(
            workspace=made.workspace.id)))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        err = await failure(server.knowledge.Search(kpb.SearchRequest(
            query="helper", workspace=made.workspace.id)))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        listed = await stub(server).ListWorkspaces(pb.ListWorkspacesRequest())
        assert [w.id for w in listed.workspaces] == [default.id]
        err = await failure(stub(server).DeleteWorkspace(pb.DeleteWorkspaceRequest(
            workspace=default.id)))
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert other.is_dir()  # the files stay


async def test_roots_that_cannot_be_workspaces_get_clear_errors(tmp_path):
    main = default_repo(tmp_path)
    outside = repo(tmp_path / "elsewhere", {"x.py": "x = 1\n"})
    (tmp_path / "link").symlink_to(outside)
    (tmp_path / "file.txt").write_text("not a folder\n")
    async with running_server(MemoryStorage(), main) as server:
        cases = {
            "relative/path": (grpc.StatusCode.INVALID_ARGUMENT, "absolute"),
            str(tmp_path / "missing"): (grpc.StatusCode.INVALID_ARGUMENT, "does not exist"),
            str(tmp_path / "file.txt"): (grpc.StatusCode.INVALID_ARGUMENT, "not a directory"),
            str(tmp_path / "link"): (grpc.StatusCode.INVALID_ARGUMENT, "symlink"),
            str(main / "sub"): (grpc.StatusCode.FAILED_PRECONDITION, "inside"),
            str(tmp_path): (grpc.StatusCode.FAILED_PRECONDITION, "around"),
            "": (grpc.StatusCode.INVALID_ARGUMENT, "required"),
        }
        (main / "sub").mkdir()
        for root, (code, words) in cases.items():
            err = await failure(create(server, root))
            assert (err.code(), words in err.details()) == (code, True), (root, err.details())
        listed = await stub(server).ListWorkspaces(pb.ListWorkspacesRequest())
        assert len(listed.workspaces) == 1

        # A root that vanished after registration is FAILED_PRECONDITION wherever it is used.
        made = (await create(server, outside)).workspace
        shutil.rmtree(outside)
        for call in (server.knowledge.Search(kpb.SearchRequest(query="x", workspace=made.id)),
                     server.knowledge.GetOverview(kpb.GetOverviewRequest(workspace=made.id)),
                     server.ingest.StartIngest(ingest_pb.StartIngestRequest(workspace=made.id))):
            err = await failure(call)
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "no longer a directory" in err.details()
        await stub(server).DeleteWorkspace(pb.DeleteWorkspaceRequest(workspace=made.id))


async def test_workspaces_at_start_and_nested_ones_refused(tmp_path):
    main, lib = default_repo(tmp_path), repo(tmp_path / "lib", {"lib.py": "y = 2\n"})
    async with running_server(MemoryStorage(), main, WORKSPACES=f"{lib}, {main}") as server:
        listed = await stub(server).ListWorkspaces(pb.ListWorkspacesRequest())
        assert sorted(w.root for w in listed.workspaces) == sorted([str(main), str(lib)])
    (main / "inner").mkdir()
    settings = settings_for(main, WORKSPACES=str(main / "inner"))
    with pytest.raises(ConfigError, match="WORKSPACES: .* is inside the root of workspace"):
        await within(30, start_server(settings, MemoryStorage(), server.workspace), "start")


async def test_each_workspace_has_its_own_index(storage, tmp_path):
    lib = repo(tmp_path / "lib", {"lib/only_here.py": "def only_in_lib():\n    return 2\n",
                                  "README.md": "# Lib\n\nThe library.\n"})
    async with running_server(storage, default_repo(tmp_path)) as server:
        made = (await create(server, lib)).workspace
        await ingest(server, "")
        await ingest(server, made.id)
        stats = await server.ingest.GetStats(ingest_pb.GetStatsRequest(workspace=made.id))
        assert (stats.workspace, stats.files) == (made.id, 2)
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())).files == 1
        context = await server.knowledge.GetFileContext(kpb.GetFileContextRequest(
            workspace=made.id, path=str(lib / "lib/only_here.py")))
        assert "def only_in_lib" in context.text
        err = await failure(server.knowledge.GetFileContext(kpb.GetFileContextRequest(
            path="lib/only_here.py")))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        overview = await server.knowledge.GetOverview(kpb.GetOverviewRequest(workspace=made.id))
        assert (overview.workspace, overview.root) == (made.id, str(lib))
        jobs = await server.ingest.ListIngestJobs(ingest_pb.ListIngestJobsRequest(
            workspace=made.id))
        assert [j.workspace for j in jobs.jobs] == [made.id]


async def test_a_canary_outside_every_root_never_appears(storage, tmp_path):
    canary = tmp_path / "canary.py"
    canary.write_text(f"def {CANARY}():\n    return '{CANARY}'\n")
    lib = repo(tmp_path / "lib", {"lib.py": "def helper():\n    return 3\n"})
    (lib / "link.py").symlink_to(canary)  # a link out of the root
    (lib / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    async with running_server(storage, default_repo(tmp_path)) as server:
        made = (await create(server, lib)).workspace
        await ingest(server, "")
        await ingest(server, made.id)
        for mode in (kpb.SEARCH_MODE_LEXICAL, kpb.SEARCH_MODE_HYBRID):
            found = await server.knowledge.Search(kpb.SearchRequest(
                query=CANARY, mode=mode, workspaces=[server.workspace.id, made.id]))
            assert [h.path for h in found.hits] == []
        for path in (str(canary), "../canary.py", "linked_dir/canary.py", "link.py"):
            err = await failure(server.knowledge.GetFileContext(kpb.GetFileContextRequest(
                workspace=made.id, path=path)))
            assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
            assert CANARY not in err.details()
        for workspace in (server.workspace.id, made.id):
            async for batch in storage.iter_chunks(workspace):
                assert not [c.path for c in batch if CANARY in c.text]


async def test_delete_under_a_running_ingest(storage, tmp_path, llm: OpenAIServer):
    llm.reset()
    env = {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m", "EMBEDDING_BACKEND": "openai",
           "EMBEDDING_MODEL": "e"}
    lib = repo(tmp_path / "lib", {f"m{i}.py": f"def f{i}(x):\n    return x * {i}\n"
                                  for i in range(6)})
    async with running_server(storage, default_repo(tmp_path), **env) as server:
        made = (await create(server, lib)).workspace
        await ingest(server, "")
        await ingest(server, made.id)
        kept = await server.ingest.GetStats(ingest_pb.GetStatsRequest())
        # New text needs the model; with the LLM lock held elsewhere the job waits (PAUSED).
        (lib / "new.py").write_text("def brand_new():\n    return 7\n")
        await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(holder="agent",
                                                                       ttl_seconds=60))
        started = await server.ingest.StartIngest(ingest_pb.StartIngestRequest(
            workspace=made.id))
        await within(30, paused(server, started.job.job_id), "the job pausing at the lock")
        await within(30, stub(server).DeleteWorkspace(pb.DeleteWorkspaceRequest(
            workspace=made.id)), "delete under ingest")
        assert await storage.get_job(started.job.job_id) is None
        assert await storage.list_files(made.id) == []
        assert await storage.get_workspace(made.id) is None
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest())) == kept
        # Created again, it starts from nothing and its ingest works.
        again = (await create(server, lib)).workspace
        assert again.id == made.id and again.create_time != made.create_time
        assert (await server.ingest.GetStats(ingest_pb.GetStatsRequest(
            workspace=again.id))).files == 0


def test_symlinked_parent_folders_are_one_workspace(tmp_path):
    from services.workspaces.roots import checked_root

    real = tmp_path / "real"
    (real / "repo").mkdir(parents=True)
    os.symlink(real, tmp_path / "alias")
    assert checked_root(str(tmp_path / "alias" / "repo")) == str(real.resolve() / "repo")


@pytest.mark.postgres
async def test_two_servers_sharing_one_database_share_the_workspaces(pg_dsn, tmp_path):
    from services.storage.postgres.adapter import PostgresStorage

    main = default_repo(tmp_path)
    lib = repo(tmp_path / "lib", {"lib.py": "def shared_helper():\n    return 4\n"})
    first, second = PostgresStorage(pg_dsn), PostgresStorage(pg_dsn)
    await first.open()
    await second.open()
    try:
        async with running_server(first, main) as one, running_server(second, main) as two:
            made = (await create(one, lib)).workspace
            assert not (await create(two, lib)).created  # idempotent across processes
            await ingest(two, made.id)  # written by the other server
            found = await one.knowledge.Search(kpb.SearchRequest(
                query="shared_helper", mode=kpb.SEARCH_MODE_LEXICAL, workspaces=[made.id]))
            assert [(h.workspace, h.path) for h in found.hits] == [(made.id, "lib.py")]
            await stub(two).DeleteWorkspace(pb.DeleteWorkspaceRequest(workspace=made.id))
            err = await failure(one.knowledge.Search(kpb.SearchRequest(
                query="shared_helper", workspaces=[made.id])))
            assert err.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await first.close()
        await second.close()
