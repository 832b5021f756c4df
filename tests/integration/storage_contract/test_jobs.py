"""The `Jobs` role."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.errors import AlreadyExists, InvalidArgument
from services.domain.models import (
    IngestJob,
    JobState,
)
from tests.integration.storage_contract.builders import (
    OTHER_WS,
    WS,
)


def make_job(job_id: str, *, workspace: str = WS, request_id: str = "",
             created_at: datetime | None = None) -> IngestJob:
    return IngestJob(id=job_id, workspace_id=workspace, full=True, state=JobState.QUEUED,
                     request_id=request_id, created_at=created_at)


async def test_jobs_are_saved_updated_and_read_back(storage):
    await storage.save_job(make_job("j1"))
    saved = await storage.get_job("j1")
    assert saved.created_at is not None and saved.state is JobState.QUEUED

    saved.state = JobState.SUCCEEDED
    saved.finished_at = saved.created_at + timedelta(seconds=5)
    saved.counts = {"scanned": 10, "persisted": 8}
    saved.skipped = [("big.bin", "binary file"), ("huge.txt", "over 10 MB")]
    saved.message = "done"
    await storage.save_job(saved)
    assert await storage.get_job("j1") == saved

    # An update that leaves created_at unset keeps the stored one.
    await storage.save_job(dataclasses.replace(saved, created_at=None, message="again"))
    again = await storage.get_job("j1")
    assert (again.created_at, again.message) == (saved.created_at, "again")
    assert await storage.get_job("missing") is None


async def test_a_running_jobs_layer_progress_is_read_back_as_saved(storage):
    """Another process's GetStats shows a running job's layers from its saved counts."""
    job = make_job("j1")
    job.state = JobState.PAUSED
    job.counts = {"files_total": 3, "layers": [
        {"layer": "structure", "files_done": 3, "files_total": 3, "files_failed": 0,
         "files_per_second": 12.5, "eta_seconds": 0.0, "waiting_reason": ""},
        {"layer": "descriptions", "files_done": 0, "files_total": 3, "files_failed": 1,
         "files_per_second": 0.0, "eta_seconds": -1.0,
         "waiting_reason": "paused: LLM locked by agent-7 until 2026-11-21T10:00:00Z"}]}
    await storage.save_job(job)
    assert (await storage.list_jobs(WS, 1))[0].counts == job.counts


async def test_jobs_are_found_by_request_id_which_is_unique_per_workspace(storage):
    await storage.save_job(make_job("j1", request_id="req-1"))
    await storage.save_job(make_job("j2", request_id="req-1", workspace=OTHER_WS))
    await storage.save_job(make_job("j3"))
    await storage.save_job(make_job("j4"))  # many jobs may have no request id

    assert (await storage.find_job_by_request_id(WS, "req-1")).id == "j1"
    assert (await storage.find_job_by_request_id(OTHER_WS, "req-1")).id == "j2"
    assert await storage.find_job_by_request_id(WS, "req-2") is None
    assert await storage.find_job_by_request_id(WS, "") is None
    with pytest.raises(AlreadyExists, match="j1"):
        await storage.save_job(make_job("j5", request_id="req-1"))
    assert await storage.get_job("j5") is None
    await storage.save_job(make_job("j1", request_id="req-1"))  # the same job may be re-saved


async def test_jobs_list_newest_first_in_pages(storage):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        await storage.save_job(make_job(f"j{i}", created_at=base + timedelta(minutes=i)))
    tie = base + timedelta(minutes=9)  # equal times: the larger id counts as newer
    await storage.save_job(make_job("k-a", created_at=tie))
    await storage.save_job(make_job("k-b", created_at=tie))
    await storage.save_job(make_job("x", workspace=OTHER_WS, created_at=tie))

    pages, after = [], ""
    while page := await storage.list_jobs(WS, 2, after):
        pages.append([j.id for j in page])
        after = page[-1].id
    assert pages == [["k-b", "k-a"], ["j4", "j3"], ["j2", "j1"], ["j0"]]
    assert [j.id for j in await storage.list_jobs(OTHER_WS, 10)] == ["x"]
    with pytest.raises(InvalidArgument):
        await storage.list_jobs(WS, 2, "x")  # a job of another workspace is no cursor here


async def test_claim_job_allows_one_live_job_per_workspace(storage):
    hour = timedelta(hours=1)
    first, created = await storage.claim_job(make_running("r1"), hour)
    assert created and first.id == "r1" and first.heartbeat_at is not None
    live, created = await storage.claim_job(make_running("r2"), hour)
    assert not created and live.id == "r1"
    assert await storage.get_job("r2") is None
    _, created = await storage.claim_job(make_running("o1", workspace=OTHER_WS), hour)
    assert created  # another workspace is not blocked

    # A heartbeat older than stale_after means the runner died: the new job takes over.
    taken, created = await storage.claim_job(make_running("r3"), timedelta(0))
    assert created and taken.id == "r3"
    dead = await storage.get_job("r1")
    assert dead.state is JobState.FAILED and "interrupted" in dead.message
    assert dead.finished_at is not None


async def test_a_finished_job_does_not_block_a_claim(storage):
    done = make_running("d1")
    await storage.claim_job(done, timedelta(hours=1))
    done.state = JobState.SUCCEEDED
    await storage.save_job(done)
    _, created = await storage.claim_job(make_running("d2"), timedelta(hours=1))
    assert created


async def test_cancel_requests_stick_until_the_job_finishes(storage):
    job = make_running("c1")
    await storage.claim_job(job, timedelta(hours=1))
    await storage.request_cancel("c1")
    await storage.save_job(job)  # the runner's next snapshot must not clear the flag
    assert (await storage.get_job("c1")).cancel_requested
    job.state = JobState.CANCELLED
    await storage.save_job(job)
    await storage.request_cancel("missing")  # no error for an unknown job
    finished = make_running("c2")
    finished.state = JobState.SUCCEEDED
    await storage.save_job(finished)
    await storage.request_cancel("c2")
    assert not (await storage.get_job("c2")).cancel_requested


def make_running(job_id: str, *, workspace: str = WS) -> IngestJob:
    return IngestJob(id=job_id, workspace_id=workspace, full=False, state=JobState.RUNNING,
                     created_at=datetime.now(UTC))


async def test_a_claim_whose_request_id_started_another_job_says_which(storage):
    """StartIngest's idempotency through a claim: the request id names the job it started."""
    done = dataclasses.replace(make_running("q1"), request_id="req-1")
    await storage.claim_job(done, timedelta(hours=1))
    done.state = JobState.SUCCEEDED
    await storage.save_job(done)
    with pytest.raises(AlreadyExists) as raised:
        await storage.claim_job(dataclasses.replace(make_running("q2"), request_id="req-1"),
                                timedelta(hours=1))
    assert raised.value.metadata == {"job_id": "q1"}
    assert await storage.get_job("q2") is None
    _, created = await storage.claim_job(make_running("q3"), timedelta(hours=1))
    assert created  # the refused claim left nothing behind that blocks the next one
