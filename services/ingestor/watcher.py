"""Live updates: `knowport serve` watches WORKSPACE and ingests the files that change.

File events (watchfiles: the OS's inotify / FSEvents / ReadDirectoryChanges through Rust's
notify, or polling) are gathered until none came for the debounce, judged by the scan's own
rules (scope.worth_ingesting: a write to an ignored folder or an editor's passing swap file
costs no job), and ingested as ONE job restricted to those paths. A rename is a delete and a
create; an editor's atomic save (write a temporary file, rename it over) ends as the saved
file. A changed ignore file changes what counts below it, and more than INGEST_PATHS changes
at once (a branch switch) are cheaper to find by a scan: either batch becomes one incremental
ingest of the whole workspace.

One writer: while a job runs - this watcher's, a client's, or another server's on the same
PostgreSQL (the Jobs role's claim decides) - changes keep gathering, and one follow-up job
covers them all once it ends. A second server watching the same workspace thus queues behind
the first one's job instead of writing beside it.

Where file events are unavailable (mode `rescan`, or `auto` when the OS refuses a watch, e.g.
inotify's watch limit), an incremental ingest of the whole workspace every rescan interval
keeps the index fresh instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from watchfiles import awatch

from services.domain import limits
from services.domain.errors import StorageUnavailable
from services.domain.models import Workspace
from services.ingestor.jobs import IngestJobs
from services.ingestor.scope import worth_ingesting
from services.storage.port import Files
from services.workspace_files.policy import ScanRules

log = logging.getLogger(__name__)

POLL_DELAY_MS = 500  # mode `poll`: how often watchfiles looks
RETRY_SECONDS = 2.0  # storage down: try the batch again after this


@dataclass
class WatchOptions:
    debounce_ms: int = 100
    mode: str = "auto"  # auto | poll | rescan
    rescan_seconds: float = 60.0


@dataclass
class _Batch:
    """Changes gathered since the last job started."""

    paths: set[str] = field(default_factory=set)
    whole: bool = False  # the whole workspace is due (ignore rules changed, many changes)

    def __bool__(self) -> bool:
        return self.whole or bool(self.paths)


class Watcher:
    """Watches one workspace and keeps its index current; `start()`, then `close()`."""

    def __init__(self, jobs: IngestJobs, storage: Files, workspace: Workspace,
                 rules: ScanRules, options: WatchOptions) -> None:
        self._jobs, self._storage, self._workspace = jobs, storage, workspace
        self._rules, self._options = rules, options
        self._root = os.path.realpath(workspace.root)
        self._batch = _Batch()
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.ready = asyncio.Event()  # set once events are being received (or rescans run)

    def start(self) -> None:
        watching = self._rescans() if self._options.mode == "rescan" else self._events()
        self._tasks = [asyncio.create_task(watching, name="watch-events"),
                       asyncio.create_task(self._ingests(), name="watch-ingests")]

    async def close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- gathering -------------------------------------------------------------------
    async def _events(self) -> None:
        step = self._options.debounce_ms
        polling = self._options.mode == "poll"
        try:
            watch = awatch(self._root, watch_filter=self._wanted, step=step,
                           debounce=max(1600, 10 * step), stop_event=self._stop,
                           force_polling=polling, poll_delay_ms=POLL_DELAY_MS,
                           ignore_permission_denied=True, yield_on_timeout=True,
                           rust_timeout=1000)  # a timeout yields: `ready` is set
            async for changes in watch:
                self.ready.set()  # the first (possibly empty) yield: the watch is in place
                if changes:
                    self.note(path for _, path in changes)
        except Exception as err:  # noqa: BLE001 - no file events here: rescan instead
            log.warning("watching %s failed (%s); an incremental ingest every %.0f s keeps "
                        "the index fresh instead", self._root, err, self._options.rescan_seconds)
            await self._rescans()

    async def _rescans(self) -> None:
        self.ready.set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._options.rescan_seconds)
            if self._stop.is_set():
                return
            self._batch.whole = True
            self._changed.set()

    def _wanted(self, change: object, path: str) -> bool:
        """Cheap first sieve, on every event: nothing under a dependency, build or VCS folder
        (the full rules run once per batch)."""
        rel = os.path.relpath(path, self._root)
        folders = rel.split(os.sep)[:-1]
        return not rel.startswith("..") and not any(
            self._rules.matchers.skip_dir.match(name) for name in folders)

    def note(self, paths: Iterable[str]) -> None:
        """Absolute changed paths, from the OS."""
        for path in paths:
            rel = os.path.relpath(path, self._root).replace(os.sep, "/")
            if rel == ".":  # the workspace folder itself: its files' own events say more
                continue
            if os.path.basename(rel) in self._rules.ignore_file_names:
                self._batch.whole = True
            self._batch.paths.add(rel)
        if len(self._batch.paths) > limits.INGEST_PATHS:
            self._batch.whole = True
        self._changed.set()

    # --- ingesting -------------------------------------------------------------------
    async def _ingests(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            batch, self._batch = self._batch, _Batch()
            try:
                await self._ingest(batch)
            except StorageUnavailable as err:
                log.warning("watcher: storage unavailable (%s); retrying its changes", err)
                self._merge(batch)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:  # a bad batch must not end live updates
                log.exception("watcher: ingesting changes failed")

    async def _ingest(self, batch: _Batch) -> None:
        """One job for the batch; when another job is running, wait for it, then one job for
        the batch and everything that changed meanwhile."""
        while batch:
            paths = None
            if not batch.whole:
                paths = await worth_ingesting(self._storage, self._workspace, self._rules,
                                              sorted(batch.paths))
                if not paths:
                    return
            job, joined = await self._jobs.start(self._workspace, full=False, paths=paths)
            log.info("watcher: %s %s for %s", "queued behind job" if joined else "started job",
                     job.id[:8], f"{len(paths)} changed paths" if paths else "the workspace")
            await self._jobs.until_finished(job.id)
            if not joined:
                return
            self._merge(batch)  # the job we waited for need not cover our changes
            batch, self._batch = self._batch, _Batch()
            self._changed.clear()

    def _merge(self, batch: _Batch) -> None:
        self._batch.paths |= batch.paths
        self._batch.whole |= batch.whole
        self._changed.set()
