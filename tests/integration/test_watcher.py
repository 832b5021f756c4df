"""The watcher in the server (real gRPC server, real files, real file events), on both
backends: an edit becomes searchable, a delete and a rename leave the index, an editor's
atomic save lands, a branch switch of 1,000 files converges to what a clean run builds with
ONE job, and with file events unavailable a timed rescan keeps the index fresh."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Awaitable, Callable

import pytest

from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import workspace_service_pb2 as wpb
from knowport.v1 import workspace_service_pb2_grpc as wpb_grpc
from services.domain.models import content_hash
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server, two_servers_on_postgres
from tests.support.index_state import index_state
from tests.support.ingest_jobs import FINISHED, ingest_to_end
from tests.support.workspaces import write_files

WATCH = {"KNOWPORT_WATCH": "true", "KNOWPORT_WATCH_DEBOUNCE_MS": "50"}


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     seconds: float = 20) -> None:
    """Wait for `check` to hold (polled), failing after `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None


async def lexical(server, query: str) -> set[str]:
    found = await server.knowledge.Search(kpb.SearchRequest(query=query,
                                                            mode=kpb.SEARCH_MODE_LEXICAL))
    return {hit.path for hit in found.hits}


def finds(server, query: str, paths: set[str]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await lexical(server, query) == paths
    return check


async def jobs_of(server) -> list[ipb.IngestJob]:
    return list((await server.ingest.ListIngestJobs(
        ipb.ListIngestJobsRequest(page_size=100))).jobs)


async def watched(server, workspace_id: str = "") -> None:
    watcher = server.running.watchers.get(workspace_id or server.workspace.id)
    await asyncio.wait_for(watcher.ready.wait(), 20)


async def test_edits_deletes_renames_and_atomic_saves_reach_the_index(tmp_path, storage):
    root = write_files(tmp_path / "ws", {"a.py": "def alpha():\n    return 1\n",
                                         "b.py": "def beta():\n    return 2\n",
                                         ".gitignore": "build/\n"})
    async with running_server(storage, root, **WATCH) as server:
        await ingest_to_end(server)
        await watched(server)

        (root / "a.py").write_text("def alpha():\n    return 'zebracorn'\n")
        await eventually(finds(server, "zebracorn", {"a.py"}), "an edit is searchable")

        (root / "b.py").rename(root / "renamed.py")
        await eventually(finds(server, "beta", {"renamed.py"}), "a rename moves the entry")

        # An editor's atomic save: write a temporary file, then rename it over the original.
        (root / ".a.py.tmp").write_text("def alpha():\n    return 'okapisave'\n")
        os.replace(root / ".a.py.tmp", root / "a.py")
        await eventually(finds(server, "okapisave", {"a.py"}), "an atomic save lands")

        (root / "renamed.py").unlink()
        await eventually(finds(server, "beta", set()), "a delete leaves the index")

        (root / "build").mkdir()
        (root / "build" / "out.py").write_text("x = 'ignoredword'\n")
        (root / "c.py").write_text("c = 'lastword'\n")  # after the ignored one
        await eventually(finds(server, "lastword", {"c.py"}), "a new file is searchable")
        assert await lexical(server, "ignoredword") == set()
        files = {f.path for f in await storage.list_files(server.workspace.id)}
        assert files == {".gitignore", "a.py", "c.py"}


def git(root, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def branch_repo(root):
    """A git repository whose branch `other` changes 1,000 of its files."""
    write_files(root, {f"pkg{i // 100}/m{i}.py": f"def f{i}():\n    return {i}\n"
                       for i in range(1000)})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "main")
    git(root, "checkout", "-qb", "other")
    write_files(root, {f"pkg{i // 100}/m{i}.py": f"def g{i}():\n    return 'other{i}'\n"
                       for i in range(1000)})
    git(root, "commit", "-qam", "other")
    git(root, "checkout", "-q", "main")
    return root


async def test_a_branch_switch_is_one_job_and_ends_as_a_clean_run(tmp_path, storage):
    root = branch_repo(tmp_path / "repo")
    # A debounce that comfortably spans the checkout, however slow the machine.
    async with running_server(storage, root, KNOWPORT_WATCH="true",
                              KNOWPORT_WATCH_DEBOUNCE_MS="500") as server:
        await ingest_to_end(server)
        await watched(server)
        before = len(await jobs_of(server))
        git(root, "checkout", "-q", "other")

        on_disk = {f"pkg{i // 100}/m{i}.py": content_hash((root / f"pkg{i // 100}/m{i}.py")
                                                           .read_bytes()) for i in range(1000)}

        async def switched() -> bool:
            jobs = await jobs_of(server)
            if len(jobs) == before or jobs[0].state not in FINISHED:
                return False
            stored = await storage.get_files(server.workspace.id, list(on_disk))
            return {path: f.content_hash for path, f in stored.items()} == on_disk

        await eventually(switched, "the switched branch is indexed", seconds=60)
        jobs = await jobs_of(server)
        assert len(jobs) == before + 1, [j.progress for j in jobs]
        assert jobs[0].state == ipb.INGEST_JOB_STATE_SUCCEEDED, jobs[0].message
        watched_state = await index_state(storage, server.workspace.id)

    clean = MemoryStorage()
    async with running_server(clean, root) as fresh:
        await ingest_to_end(fresh)
        assert await index_state(clean, fresh.workspace.id) == watched_state


@pytest.mark.parametrize("mode", ["rescan", "poll"])
async def test_without_file_events_polling_or_a_timed_rescan_keeps_the_index_fresh(tmp_path,
                                                                                   mode):
    root = write_files(tmp_path / "ws", {"a.py": "def alpha():\n    return 1\n"})
    async with running_server(MemoryStorage(), root, KNOWPORT_WATCH="true",
                              KNOWPORT_WATCH_MODE=mode,
                              KNOWPORT_WATCH_RESCAN_SECONDS="0.5") as server:
        await ingest_to_end(server)
        await watched(server)
        (root / "a.py").write_text("def alpha():\n    return 'rescanword'\n")
        await eventually(finds(server, "rescanword", {"a.py"}), f"{mode} finds the edit")


async def test_knowport_watch_false_turns_the_watcher_off(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_WATCH="false") as server:
        assert server.running.watchers is None


async def test_a_workspace_created_while_serving_is_watched_until_deleted(tmp_path, storage):
    """CreateWorkspace starts a watcher for the new root; DeleteWorkspace stops it."""
    main = write_files(tmp_path / "main", {"m.py": "def m():\n    return 0\n"})
    other = write_files(tmp_path / "other", {"o.py": "def o():\n    return 1\n"})
    async with running_server(storage, main, **WATCH) as server:
        spaces = wpb_grpc.WorkspaceServiceStub(server.channel)
        created = (await spaces.CreateWorkspace(wpb.CreateWorkspaceRequest(
            root=str(other)))).workspace
        await watched(server, created.id)
        (other / "o.py").write_text("def o():\n    return 'quokkaword'\n")

        async def found() -> bool:
            answer = await server.knowledge.Search(kpb.SearchRequest(
                query="quokkaword", mode=kpb.SEARCH_MODE_LEXICAL, workspaces=[created.id]))
            return [hit.path for hit in answer.hits] == ["o.py"]
        await eventually(found, "an edit in the created workspace is searchable")

        await spaces.DeleteWorkspace(wpb.DeleteWorkspaceRequest(workspace=created.id))
        assert server.running.watchers.get(created.id) is None


async def test_two_watching_servers_on_one_postgres_take_turns(tmp_path, pg_dsn, llm):
    """Both servers see each edit; the Jobs claim lets one write at a time, and the one that
    found a job running queues behind it instead of being lost or writing beside it."""
    llm.reset()
    llm.delay = 0.05  # a slow model: the first server's job is still running when B looks
    env = {**WATCH, "OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m"}
    root = write_files(tmp_path / "ws", {f"m{i}.py": f"def f{i}():\n    return {i}\n"
                                         for i in range(10)})
    try:
        async with two_servers_on_postgres(pg_dsn, root, **env) as (a, b):
            await ingest_to_end(a)
            await watched(a)
            await watched(b)
            before = len(await jobs_of(a))
            (root / "m3.py").write_text("def f3():\n    return 'sharedword'\n")
            await eventually(finds(b, "sharedword", {"m3.py"}), "the edit is searchable")

            async def settled() -> bool:
                jobs = await jobs_of(a)
                return len(jobs) >= before + 2 and all(j.state in FINISHED for j in jobs)

            # Each server runs one job for the edit, one after the other: never two at once
            # (a second writer would have ended the first as interrupted).
            await eventually(settled, "both watchers' jobs ended")
            jobs = await jobs_of(a)
            assert len(jobs) == before + 2
            assert all(j.state == ipb.INGEST_JOB_STATE_SUCCEEDED for j in jobs), jobs
    finally:
        llm.delay = 0.0
