"""The `Workspaces` role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.domain.models import IngestJob, JobState, Workspace
from services.domain.terms import search_terms
from tests.integration.storage_contract.builders import OTHER_WS, WS, ids, put_file


async def test_workspace_upsert_keeps_the_first_and_lists_by_id(storage):
    created = await storage.upsert_workspace(Workspace(id="b", root="/src/b"))
    assert (created.id, created.root) == ("b", "/src/b")
    assert created.created_at is not None

    again = await storage.upsert_workspace(Workspace(id="b", root="/elsewhere"))
    assert again == created

    when = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    a = await storage.upsert_workspace(Workspace(id="a", root="/src/a", created_at=when))
    assert a.created_at == when
    assert await storage.get_workspace("a") == a
    assert await storage.get_workspace("missing") is None
    assert [w.id for w in await storage.list_workspaces()] == ["a", "b"]


async def test_workspace_keeps_its_display_name(storage):
    stored = await storage.upsert_workspace(Workspace(id="n", root="/src/n", name="service"))
    assert stored.name == "service"
    assert (await storage.get_workspace("n")).name == "service"
    assert (await storage.upsert_workspace(Workspace(id="u", root="/src/u"))).name == ""


async def test_delete_workspace_removes_its_data_and_nothing_else(storage):
    for workspace in (WS, OTHER_WS):
        await storage.upsert_workspace(Workspace(id=workspace, root=f"/src/{workspace}"))
        await put_file(storage, "a.py", "def shared_needle(): pass",
                       embedding=(1.0, 0.0), workspace=workspace)
        await put_file(storage, "b.py", "def other_thing(): pass",
                       embedding=(0.0, 1.0), workspace=workspace)
        job = IngestJob(id=f"job-{workspace}", workspace_id=workspace, full=False,
                        state=JobState.RUNNING, request_id="r1")
        await storage.claim_job(job, timedelta(minutes=5))
    await storage.put_embeddings("m", {"h": (1.0, 0.0)})
    kept = {
        "files": [f.path for f in await storage.list_files(OTHER_WS)],
        "lexical": ids(await storage.search_lexical(OTHER_WS, "shared_needle", 5)),
        "semantic": ids(await storage.search_semantic(OTHER_WS, (1.0, 0.0), 5)),
        "stats": await storage.stats(OTHER_WS),
    }
    assert search_terms("shared_needle") and kept["lexical"]

    assert await storage.delete_workspace(WS) is True
    assert await storage.get_workspace(WS) is None
    assert [w.id for w in await storage.list_workspaces()] == [OTHER_WS]
    assert await storage.list_files(WS) == []
    assert await storage.search_lexical(WS, "shared_needle", 5) == []
    assert await storage.search_semantic(WS, (1.0, 0.0), 5) == []
    assert (await storage.stats(WS)).files == 0
    assert await storage.get_job(f"job-{WS}") is None
    assert await storage.find_job_by_request_id(WS, "r1") is None
    # The other workspace and the shared model caches are as they were.
    assert [f.path for f in await storage.list_files(OTHER_WS)] == kept["files"]
    assert ids(await storage.search_lexical(OTHER_WS, "shared_needle", 5)) == kept["lexical"]
    assert ids(await storage.search_semantic(OTHER_WS, (1.0, 0.0), 5)) == kept["semantic"]
    assert await storage.stats(OTHER_WS) == kept["stats"]
    assert (await storage.get_job(f"job-{OTHER_WS}")).workspace_id == OTHER_WS
    assert await storage.get_embeddings("m", ["h"]) == {"h": (1.0, 0.0)}
    assert await storage.delete_workspace(WS) is False


async def test_a_deleted_workspace_starts_afresh_when_created_again(storage):
    await storage.upsert_workspace(Workspace(id=WS, root="/src/a"))
    await put_file(storage, "a.py", "def needle(): pass")
    await storage.delete_workspace(WS)
    await storage.upsert_workspace(Workspace(id=WS, root="/src/a"))
    assert await storage.list_files(WS) == []
    await put_file(storage, "a.py", "def needle(): pass")  # no leftover postings or totals
    assert len(await storage.search_lexical(WS, "needle", 5)) == 1
    assert (await storage.stats(WS)).chunks == 1
