"""StartIngest with `paths` (the fast path) over real gRPC, on both backends: only the named
files are read, a vanished one leaves the index, a named folder stands for what is below it,
declined ones are listed with their reason, and bad paths are INVALID_ARGUMENT."""

from __future__ import annotations

import grpc
import pytest

from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb
from services.domain import limits
from services.workspace_files.policy import SkipReason
from tests.support.grpc_server import running_server
from tests.support.ingest_jobs import finished_job, ingest_to_end
from tests.support.workspaces import write_files

FILES = {
    "a.py": "def alpha():\n    return 1\n",
    "b.py": "def beta():\n    return 2\n",
    "c.py": "def gamma():\n    return 3\n",
    "sub/d.py": "def delta():\n    return 4\n",
    ".gitignore": "ign.py\n",
    "ign.py": "x = 1\n",
    ".env": "TOKEN=abc\n",
}


async def indexed_paths(server) -> set[str]:
    return {f.path for f in await server.storage.list_files(server.workspace.id)}


async def lexical_paths(server, query: str) -> set[str]:
    found = await server.knowledge.Search(kpb.SearchRequest(query=query,
                                                            mode=kpb.SEARCH_MODE_LEXICAL))
    return {hit.path for hit in found.hits}


async def ingest_paths(server, *paths: str) -> ipb.IngestJob:
    started = await server.ingest.StartIngest(ipb.StartIngestRequest(paths=list(paths)))
    assert not started.joined
    return await finished_job(server, started.job.job_id)


async def test_only_the_named_paths_are_ingested(tmp_path, storage):
    root = write_files(tmp_path / "ws", FILES)
    async with running_server(storage, root) as server:
        await ingest_to_end(server)
        assert await indexed_paths(server) == {".gitignore", "a.py", "b.py", "c.py", "sub/d.py"}

        (root / "a.py").write_text("def alpha():\n    return 'zebracorn'\n")
        (root / "b.py").unlink()
        (root / "e.py").write_text("def epsilon():\n    return 'quokkafish'\n")
        (root / "sub" / "f.py").write_text("def phi():\n    return 'narwhalbean'\n")
        (root / "c.py").write_text("def gamma():\n    return 'unnamedword'\n")  # not named
        job = await ingest_paths(server, "a.py", str(root / "b.py"), "./e.py", "sub",
                                 "ign.py", ".env")

        assert job.state == ipb.INGEST_JOB_STATE_SUCCEEDED, job.message
        assert (job.progress.files_persisted, job.progress.files_deleted,
                job.progress.files_unchanged) == (3, 1, 1)  # a, e, sub/f; b; sub/d
        assert await indexed_paths(server) == {".gitignore", "a.py", "c.py", "e.py",
                                               "sub/d.py", "sub/f.py"}
        assert await lexical_paths(server, "zebracorn") == {"a.py"}
        assert await lexical_paths(server, "quokkafish") == {"e.py"}
        assert await lexical_paths(server, "narwhalbean") == {"sub/f.py"}
        assert await lexical_paths(server, "unnamedword") == set()  # c.py was not named
        skipped = {s.path: s.reason for s in job.skipped_files}
        assert skipped == {"ign.py": SkipReason.IGNORED.value, ".env": SkipReason.SECRET.value}

        (root / "sub" / "d.py").unlink()
        (root / "sub" / "f.py").unlink()
        (root / "sub").rmdir()
        job = await ingest_paths(server, "sub")  # a folder that is gone takes its files along
        assert job.progress.files_deleted == 2
        assert await indexed_paths(server) == {".gitignore", "a.py", "c.py", "e.py"}


@pytest.mark.parametrize("paths, words", [
    (["/etc/hostname"], "outside the workspace"),
    (["../escape.py"], "'..'"),
    (["a.py", ""], "paths is required"),
    (["x" * (limits.PATH_BYTES + 1)], "bytes"),
    ([f"f{i}.py" for i in range(limits.INGEST_PATHS + 1)], f"at most {limits.INGEST_PATHS}"),
])
async def test_bad_paths_are_invalid_argument(tmp_path, paths, words):
    from services.storage.memory.adapter import MemoryStorage

    root = write_files(tmp_path / "ws", {"a.py": "x = 1\n"})
    async with running_server(MemoryStorage(), root) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await server.ingest.StartIngest(ipb.StartIngestRequest(paths=paths))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert words in caught.value.details()
        jobs = await server.ingest.ListIngestJobs(ipb.ListIngestJobsRequest())
        assert not jobs.jobs
