"""Ingest jobs: start (or join), follow, cancel; at most one running job per workspace.

The job row in storage is the source of truth, so every server process sharing one
PostgreSQL sees the same jobs: a running job saves a snapshot (counts, heartbeat) every
`snapshot_interval` seconds, a job whose process died no longer blocks a new one (PostgreSQL
knows at once, see storage/postgres/job_owner.py; otherwise its heartbeat goes stale), and a
cancel request made through any process is seen by the runner at its next snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from services.domain.errors import (
    FailedPrecondition,
    KnowportError,
    NotFound,
    StorageUnavailable,
)
from services.domain.models import (
    INTERRUPTED_MESSAGE,
    IngestJob,
    JobState,
    Layer,
    StorageStats,
    Workspace,
)
from services.ingestor.pipeline import Pipeline
from services.ingestor.progress import Progress
from services.storage.port import Jobs

log = logging.getLogger(__name__)

SNAPSHOT_SECONDS = 0.5
# A running job whose heartbeat is older than this belongs to a process that died.
STALE_AFTER = timedelta(seconds=15)
STOP_TIMEOUT = 60.0  # seconds another process's job may take to stop before a delete gives up
STOP_SCAN = 20  # newest jobs of a workspace looked at for running ones (only one can run)


@dataclass
class _Running:
    job: IngestJob
    progress: Progress
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    paths: Sequence[str] | None = None  # only these (workspace-relative); None: the workspace


def _now() -> datetime:
    return datetime.now(UTC)


class IngestJobs:
    """Runs ingest jobs in this process and records them in storage."""

    def __init__(self, storage: Jobs, make_pipeline: Callable[[], Pipeline], *,
                 notes: Callable[[], list[str]] = list,
                 snapshot_interval: float = SNAPSHOT_SECONDS,
                 stale_after: timedelta = STALE_AFTER,
                 paused_reason: Callable[[], str] = str,
                 layers: tuple[Layer, ...] = tuple(Layer)) -> None:
        self._storage = storage
        self._make_pipeline = make_pipeline
        self._notes = notes  # standing remarks, e.g. "enrichment skipped: no LLM configured"
        self._interval = snapshot_interval
        self._stale_after = stale_after
        self._paused_reason = paused_reason  # the LLM gate's "paused: ..." while it waits
        self.layers = layers  # the layers this server's pipeline builds
        self._running: dict[str, _Running] = {}
        self._closing = False  # set by shutdown()

    async def start(self, workspace: Workspace, *, full: bool, request_id: str = "",
                    paths: Sequence[str] | None = None) -> tuple[IngestJob, bool]:
        """Start a job, or return the one this request or a running ingest already made.

        The boolean is True when no new job was started. `paths` restricts the job to those
        workspace-relative files or folders; a joined job need not cover them (the watcher
        and the clients start again once it ends).
        """
        if request_id:
            earlier = await self._storage.find_job_by_request_id(workspace.id, request_id)
            if earlier is not None:
                return self._live(earlier), True
        if (mine := self._running_in(workspace.id)) is not None:
            return self._snapshot(mine), True
        job = IngestJob(id=uuid.uuid4().hex, workspace_id=workspace.id, full=full,
                        state=JobState.RUNNING, request_id=request_id, created_at=_now(),
                        heartbeat_at=_now())
        claimed, created = await self._storage.claim_job(job, self._stale_after)
        if not created:
            return self._live(claimed), True
        running = _Running(job, Progress(), paths=paths)
        self._running[job.id] = running
        running.task = asyncio.create_task(self._run(workspace, running), name=f"ingest-{job.id}")
        return self._snapshot(running), False

    async def cancel(self, job_id: str) -> IngestJob:
        job = await self._storage.get_job(job_id)
        if job is None:
            raise NotFound(f"no ingest job {job_id!r}", reason="JOB_NOT_FOUND",
                           metadata={"job_id": job_id})
        if job.state.finished:
            return job
        await self._storage.request_cancel(job_id)
        if running := self._running.get(job_id):
            running.cancelled.set()
            return self._snapshot(running)
        return await self._storage.get_job(job_id) or job

    async def stop_workspace(self, workspace_id: str) -> None:
        """Cancel the workspace's unfinished jobs, this process's and those of other processes
        sharing the storage, and return once none is running (before its data is deleted).

        Another process's runner sees the cancel at its next snapshot; one that does not stop
        within STOP_TIMEOUT seconds (and is not dead: a stale heartbeat) is FAILED_PRECONDITION.
        """
        if (mine := self._running_in(workspace_id)) is not None:
            # Stopped at once, as at shutdown, not at the next file: a job paused at the LLM
            # lock would otherwise hold the delete until the lock is released.
            mine.cancelled.set()
            if mine.task is not None:
                mine.task.cancel()
                await asyncio.wait([mine.task])
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT
        while True:
            live = [job for job in await self._storage.list_jobs(workspace_id, STOP_SCAN)
                    if not job.state.finished and not self._is_stale(job)]
            if not live:
                return
            for job in live:
                await self._storage.request_cancel(job.id)
            if asyncio.get_running_loop().time() > deadline:
                raise FailedPrecondition(
                    f"ingest {live[0].id} of workspace {workspace_id!r} did not stop within "
                    f"{STOP_TIMEOUT:.0f} s; retry", reason="INGEST_STILL_RUNNING",
                    metadata={"workspace": workspace_id, "job_id": live[0].id})
            await asyncio.sleep(self._interval)

    async def wait(self, job_id: str) -> IngestJob:
        """Wait for a job of this process to finish and return its final record."""
        running = self._running.get(job_id)
        if running is not None and running.task is not None:
            await asyncio.shield(running.task)
        job = await self._storage.get_job(job_id)
        if job is None:
            raise NotFound(f"no ingest job {job_id!r}", reason="JOB_NOT_FOUND")
        return job

    async def follow(self, job_id: str) -> AsyncIterator[IngestJob]:
        """Snapshots of a job, every snapshot interval, until it finishes.

        Works for jobs of any process sharing the storage. A job whose runner died (its
        heartbeat went stale) is recorded as interrupted and ends the stream, so a follower
        never waits forever.
        """
        while True:
            running = self._running.get(job_id)
            job = self._snapshot(running) if running else await self._storage.get_job(job_id)
            if job is None:
                raise NotFound(f"no ingest job {job_id!r}", reason="JOB_NOT_FOUND",
                               metadata={"job_id": job_id})
            if running is None and not job.state.finished and self._is_stale(job):
                job.state, job.finished_at = JobState.FAILED, _now()
                job.message = INTERRUPTED_MESSAGE
                await self._storage.save_job(job)
            yield job
            if job.state.finished:
                return
            await asyncio.sleep(self._interval)

    async def until_finished(self, job_id: str) -> IngestJob | None:
        """The job's last snapshot, once finished (or interrupted: its runner died)."""
        if job_id in self._running:  # this process's: its end, at once
            return await self.wait(job_id)
        last = None
        async for last in self.follow(job_id):  # noqa: B007 - the last snapshot is the end
            pass
        return last

    def _is_stale(self, job: IngestJob) -> bool:
        return job.heartbeat_at is None or _now() - job.heartbeat_at > self._stale_after

    def progress_of(self, job_id: str) -> Progress | None:
        running = self._running.get(job_id)
        return running.progress if running else None

    async def layer_report(self, workspace_id: str,
                           stats: StorageStats) -> list[dict[str, object]]:
        """Each layer this server builds: files in the index that have it, and the rate, ETA
        and wait of the workspace's running job, when there is one (in any process)."""
        live = {row["layer"]: row for row in (await self._running_layers(workspace_id))}
        report = []
        for layer in self.layers:
            row = live.get(str(layer), {})
            report.append({"layer": str(layer), "files_done": stats.layers.get(layer, 0),
                           "files_total": stats.files,
                           "files_failed": row.get("files_failed", 0),
                           "files_per_second": row.get("files_per_second", 0.0),
                           "eta_seconds": row.get("eta_seconds", 0.0),
                           "waiting_reason": row.get("waiting_reason", "")})
        return report

    async def _running_layers(self, workspace_id: str) -> list[dict[str, object]]:
        """The per-layer progress of the workspace's running job: this process's live one,
        or the snapshot another process sharing the storage saved last (every snapshot
        interval, in the job row's counts); none when no job runs or its runner died."""
        if (running := self._running_in(workspace_id)) is not None:
            return list(self._snapshot(running).counts["layers"])
        newest = await self._storage.list_jobs(workspace_id, 1)
        if not newest or newest[0].state.finished or self._is_stale(newest[0]):
            return []
        return list(newest[0].counts.get("layers") or ())

    async def shutdown(self) -> None:
        """Stop this process's jobs; each is recorded as cancelled, the index stays consistent."""
        self._closing = True
        for running in list(self._running.values()):
            running.cancelled.set()
            if running.task is not None:
                running.task.cancel()
                # wait(), not `await task`: the task's CancelledError stays its own, and a
                # cancellation of this caller (a timeout around shutdown) still reaches it.
                await asyncio.wait([running.task])

    # --- internals --------------------------------------------------------------------
    def _running_in(self, workspace_id: str) -> _Running | None:
        """This process's running job of the workspace: joined without asking storage, which
        (PostgreSQL) could have lost sight of its owner for a moment after a restart."""
        return next((r for r in self._running.values()
                     if r.job.workspace_id == workspace_id), None)

    def _live(self, job: IngestJob) -> IngestJob:
        running = self._running.get(job.id)
        return self._snapshot(running) if running else job

    def _snapshot(self, running: _Running) -> IngestJob:
        """A copy of the live job with current progress (the runner goes on mutating its own)."""
        running.progress.paused_reason = self._paused_reason()
        # Paused only when nothing but LLM-gated work is left: structure and local vectors
        # go on while the lock is held.
        paused = running.progress.paused() and running.job.state is JobState.RUNNING
        return replace(running.job, counts=running.progress.as_counts(),
                       state=JobState.PAUSED if paused else running.job.state,
                       skipped=running.progress.skipped + running.progress.failed,
                       heartbeat_at=_now())

    async def _run(self, workspace: Workspace, running: _Running) -> None:
        job = running.job
        snapshots = asyncio.create_task(self._snapshots(running))
        try:
            await self._make_pipeline().run(workspace, full=job.full, progress=running.progress,
                                            cancelled=running.cancelled, paths=running.paths)
            cancelled = running.cancelled.is_set()
            job.state = JobState.CANCELLED if cancelled else JobState.SUCCEEDED
            job.message = self._summary(running.progress, cancelled)
        except asyncio.CancelledError:
            job.state, job.message = JobState.CANCELLED, "cancelled: the server is shutting down"
        except BaseException as err:  # noqa: BLE001 - the job records any failure
            failure = err.exceptions[0] if isinstance(err, BaseExceptionGroup) else err
            log.error("ingest %s failed", job.id, exc_info=failure)
            job.state = JobState.FAILED
            job.message = f"failed: {failure_text(failure)}; a new ingest resumes where this " \
                          "one stopped"
        finally:
            snapshots.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await snapshots
            job.finished_at = _now()
            try:
                await self._record_end(running)
            finally:
                self._running.pop(job.id, None)
            log.info("ingest %s %s: %s", job.id, job.state.value, job.message)

    async def _record_end(self, running: _Running) -> None:
        """Save the finished job. Storage being down is often why it failed: then keep trying
        until it is back, or the record would say "running" with nobody running it. Shutdown
        ends the trying."""
        warned = False
        while True:
            try:
                await asyncio.shield(self._storage.save_job(self._snapshot(running)))
                return
            except StorageUnavailable as err:
                if self._closing:
                    return
                if not warned:
                    log.warning("ingest %s: its end is recorded once storage is back: %s",
                                running.job.id, err)
                    warned = True
            except Exception:  # noqa: BLE001 - the job is over either way
                log.exception("could not record the end of ingest %s", running.job.id)
                return
            await asyncio.sleep(self._interval)

    async def _snapshots(self, running: _Running) -> None:
        # The claim has just saved the job (state, heartbeat): the first snapshot comes one
        # interval later, not beside a short job's own reads and write (a `paths` ingest of
        # one file is over in well under an interval, and its end is saved anyway).
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._storage.save_job(self._snapshot(running))
                stored = await self._storage.get_job(running.job.id)
                if stored is not None and stored.cancel_requested:
                    running.cancelled.set()
            except Exception as err:  # a missed snapshot is not worth failing the job for
                log.warning("could not save progress of ingest %s: %s", running.job.id, err)

    def _summary(self, progress: Progress, cancelled: bool) -> str:
        c = progress.counts
        parts = [f"{c['files_persisted']} files indexed ({c['chunks_persisted']} chunks)",
                 f"{c['files_unchanged']} unchanged", f"{c['files_deleted']} removed",
                 f"{c['files_skipped']} skipped"]
        parts += [f"{layer} added to {meter.done} files" for layer, meter in
                  progress.layers.items() if layer is not Layer.STRUCTURE and meter.total]
        if c["files_failed"]:
            parts.append(f"{c['files_failed']} failed and will be retried by the next ingest")
        head = "cancelled after " if cancelled else ""
        return "; ".join([head + parts[0], *parts[1:], *self._notes()])


def failure_text(err: BaseException) -> str:
    """What failed, in words for a person: the domain's own message, an OS error's text, and
    for anything else (a driver's internals) only its kind; the log holds the traceback."""
    if isinstance(err, KnowportError):
        return err.message
    if isinstance(err, OSError):
        return str(err)
    return f"an unexpected error ({type(err).__name__}), see the server log"
