"""Live progress of one ingest: counts per stage and per layer, skips with reasons, rate, ETA."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping

from services.domain.models import Layer

# Keys match knowport.v1.IngestProgress field names, so conversion is by name.
COUNTERS = ("files_total", "files_scanned", "files_parsed", "files_enriched", "files_embedded",
            "files_persisted", "files_skipped", "files_unchanged", "files_deleted",
            "files_failed", "chunks_persisted")
RATE_WINDOW_SECONDS = 10.0


class Meter:
    """Done and total of one layer, with a rate over the last RATE_WINDOW_SECONDS."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self._started = clock()
        self._done_times: deque[float] = deque()
        self.total = 0
        self.done = 0
        self.failed = 0

    def finish(self, failed: bool = False) -> None:
        if failed:
            self.failed += 1
        else:
            self.done += 1
        now = self._clock()
        self._done_times.append(now)
        self._forget(now)

    def _forget(self, now: float) -> None:
        while self._done_times and now - self._done_times[0] > RATE_WINDOW_SECONDS:
            self._done_times.popleft()

    def rate(self) -> float:
        """Files finished per second over the window (or since the start).

        Measured against the clock, not between completions: files finish in bursts (an
        embedding batch at a time), and a burst must not read as a huge rate.
        """
        now = self._clock()
        self._forget(now)
        span = now - max(self._started, now - RATE_WINDOW_SECONDS)
        return len(self._done_times) / span if span > 0 else 0.0

    def eta_seconds(self) -> float:
        remaining = self.total - self.done - self.failed
        rate = self.rate()
        if remaining <= 0:
            return 0.0
        return remaining / rate if rate > 0 else -1.0

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total


class Progress:
    """Mutated by the pipeline's stages on one event loop; read by the job's snapshots."""

    def __init__(self, clock=time.monotonic) -> None:
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.skipped: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str]] = []
        self.current_file = ""
        self.paused_reason = ""
        self.layers = {layer: Meter(clock) for layer in Layer}
        # Whether the vectors layer waits for the LLM lock too (endpoint embeddings with
        # LLM_LOCK_GATES_EMBEDDINGS): then a held lock pauses it as well.
        self.vectors_gated = False

    def add(self, counter: str, n: int = 1) -> None:
        self.counts[counter] += n
        if counter == "files_total":
            self.layers[Layer.STRUCTURE].total += n

    def skip(self, path: str, reason: str, planned_for: Layer | None = None) -> None:
        """A file left out, with the reason; `planned_for`: the layer that counted it among
        its files to do before the skip was found (on reading it), which now has one less."""
        self.skipped.append((path, reason))
        self.counts["files_skipped"] += 1
        if planned_for is not None:
            self.layers[planned_for].total -= 1

    def fail(self, path: str, reason: str, layer: Layer = Layer.STRUCTURE) -> None:
        """A file that could not be finished this run (in that layer); it stays as it was
        and is retried."""
        self.failed.append((path, reason))
        self.counts["files_failed"] += 1
        self.layers[layer].finish(failed=True)

    def persisted(self, path: str, chunks: int) -> None:
        self.counts["files_persisted"] += 1
        self.counts["chunks_persisted"] += chunks
        self.current_file = path
        self.layers[Layer.STRUCTURE].finish()

    def rate(self) -> float:
        """Files made searchable (the structure layer) per second, recently."""
        return self.layers[Layer.STRUCTURE].rate()

    def eta_seconds(self) -> float:
        return self.layers[Layer.STRUCTURE].eta_seconds()

    def job_eta_seconds(self) -> float:
        """Until the slowest layer is done; negative when one of them cannot tell yet."""
        etas = [meter.eta_seconds() for meter in self.layers.values()]
        return -1.0 if any(eta < 0 for eta in etas) else max(etas)

    def paused(self) -> bool:
        """Only work behind the LLM lock is left, and the lock is held."""
        if not self.paused_reason or not self.layers[Layer.STRUCTURE].finished:
            return False
        return self.vectors_gated or self.layers[Layer.VECTORS].finished

    def as_counts(self) -> dict[str, object]:
        """The job's `counts` record: counters plus the live fields of IngestProgress."""
        return {**self.counts, "current_file": self.current_file,
                "files_per_second": round(self.rate(), 3),
                "eta_seconds": round(self.job_eta_seconds(), 1),
                "paused_reason": self.paused_reason,
                "layers": [self._layer(layer, meter) for layer, meter in self.layers.items()]}

    def _layer(self, layer: Layer, meter: Meter) -> dict[str, object]:
        gated = layer is Layer.DESCRIPTIONS or (layer is Layer.VECTORS and self.vectors_gated)
        waiting = self.paused_reason if gated and not meter.finished else ""
        return {"layer": str(layer), "files_done": meter.done, "files_total": meter.total,
                "files_failed": meter.failed, "files_per_second": round(meter.rate(), 3),
                "eta_seconds": round(meter.eta_seconds(), 1), "waiting_reason": waiting}


def progress_line(counts: Mapping[str, object]) -> str:
    """One human line for logs and the CLI, e.g. "120/500 files, 35.2 files/s, ETA 11s"."""
    parts = [f"{structure_done(counts)}/{counts.get('files_total', 0)} files"]
    rate = float(counts.get("files_per_second", 0) or 0)
    if rate > 0:
        parts.append(f"{rate:.1f} files/s")
    eta = float(counts.get("eta_seconds", -1) or 0)
    if eta > 0:
        parts.append(f"ETA {eta:.0f}s")
    if counts.get("files_skipped"):
        parts.append(f"{counts['files_skipped']} skipped")
    layers = [_layer_part(layer) for layer in counts.get("layers") or ()
              if layer.get("layer") != Layer.STRUCTURE and layer.get("files_total")]
    parts += layers
    if counts.get("paused_reason"):
        parts.append(str(counts["paused_reason"]))
    return ", ".join(parts)


def structure_done(counts: Mapping[str, object]) -> int:
    """Files through the structure layer (stored, or failed to parse): the job's first figure.
    Failures of later layers are not among them."""
    for layer in counts.get("layers") or ():
        if layer.get("layer") == Layer.STRUCTURE:
            return int(layer.get("files_done", 0)) + int(layer.get("files_failed", 0))
    return int(counts.get("files_persisted", 0)) + int(counts.get("files_failed", 0))


def _layer_part(layer: Mapping[str, object]) -> str:
    """e.g. "vectors 40/120 (12.0/s, ETA 7s)"."""
    text = f"{layer.get('layer')} {layer.get('files_done', 0)}/{layer.get('files_total', 0)}"
    extras = []
    if float(layer.get("files_per_second", 0) or 0) > 0:
        extras.append(f"{float(layer.get('files_per_second', 0)):.1f}/s")
    if float(layer.get("eta_seconds", 0) or 0) > 0:
        extras.append(f"ETA {float(layer.get('eta_seconds', 0)):.0f}s")
    return f"{text} ({', '.join(extras)})" if extras else text
