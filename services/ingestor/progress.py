"""Live progress of one ingest: counts per stage, skips with reasons, rate and ETA."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping

# Keys match knowport.v1.IngestProgress field names, so conversion is by name.
COUNTERS = ("files_total", "files_scanned", "files_parsed", "files_enriched", "files_embedded",
            "files_persisted", "files_skipped", "files_unchanged", "files_deleted",
            "files_failed", "chunks_persisted")
RATE_WINDOW_SECONDS = 10.0


class Progress:
    """Mutated by the pipeline's stages on one event loop; read by the job's snapshots."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.skipped: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str]] = []
        self.current_file = ""
        self.paused_reason = ""
        self._done_times: deque[float] = deque()
        self._started = clock()

    def add(self, counter: str, n: int = 1) -> None:
        self.counts[counter] += n

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((path, reason))
        self.counts["files_skipped"] += 1

    def fail(self, path: str, reason: str) -> None:
        """A file that could not be finished this run; it stays as it was and is retried."""
        self.failed.append((path, reason))
        self.counts["files_failed"] += 1
        self._mark_done()

    def persisted(self, path: str, chunks: int) -> None:
        self.counts["files_persisted"] += 1
        self.counts["chunks_persisted"] += chunks
        self.current_file = path
        self._mark_done()

    def _mark_done(self) -> None:
        now = self._clock()
        self._done_times.append(now)
        while self._done_times and now - self._done_times[0] > RATE_WINDOW_SECONDS:
            self._done_times.popleft()

    def rate(self) -> float:
        """Files finished per second over the last RATE_WINDOW_SECONDS (or since the start).

        Measured against the clock, not between completions: files finish in bursts (an
        embedding batch at a time), and a burst must not read as a huge rate.
        """
        now = self._clock()
        while self._done_times and now - self._done_times[0] > RATE_WINDOW_SECONDS:
            self._done_times.popleft()
        span = now - max(self._started, now - RATE_WINDOW_SECONDS)
        return len(self._done_times) / span if span > 0 else 0.0

    def eta_seconds(self) -> float:
        remaining = (self.counts["files_total"] - self.counts["files_persisted"]
                     - self.counts["files_failed"])
        rate = self.rate()
        if remaining <= 0:
            return 0.0
        return remaining / rate if rate > 0 else -1.0

    def as_counts(self) -> dict[str, object]:
        """The job's `counts` record: counters plus the live fields of IngestProgress."""
        return {**self.counts, "current_file": self.current_file,
                "files_per_second": round(self.rate(), 3),
                "eta_seconds": round(self.eta_seconds(), 1),
                "paused_reason": self.paused_reason}


def progress_line(counts: Mapping[str, object]) -> str:
    """One human line for logs and the CLI, e.g. "120/500 files, 35.2 files/s, ETA 11s"."""
    done = int(counts.get("files_persisted", 0)) + int(counts.get("files_failed", 0))
    parts = [f"{done}/{counts.get('files_total', 0)} files"]
    rate = float(counts.get("files_per_second", 0) or 0)
    if rate > 0:
        parts.append(f"{rate:.1f} files/s")
    eta = float(counts.get("eta_seconds", -1) or 0)
    if eta > 0:
        parts.append(f"ETA {eta:.0f}s")
    if counts.get("files_skipped"):
        parts.append(f"{counts['files_skipped']} skipped")
    if counts.get("paused_reason"):
        parts.append(str(counts["paused_reason"]))
    return ", ".join(parts)
