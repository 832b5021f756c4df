"""A one-line progress bar on stderr: redrawn in place on a terminal, a line every few seconds
otherwise (logs and CI stay readable)."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TextIO

from services.ingestor.progress import progress_line, structure_done

WIDTH = 30
PLAIN_EVERY_SECONDS = 2.0


class ProgressBar:
    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last_plain = 0.0
        self._drawn = False

    def update(self, counts: Mapping[str, object]) -> None:
        total = int(counts.get("files_total", 0) or 0)
        done = structure_done(counts)
        line = progress_line(counts)
        if self._tty:
            filled = WIDTH * done // total if total else 0
            self._stream.write(f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {line}\x1b[K")
            self._stream.flush()
            self._drawn = True
        elif ((total or counts.get("layers"))
              and time.monotonic() - self._last_plain >= PLAIN_EVERY_SECONDS):
            self._last_plain = time.monotonic()
            print(f"ingest: {line}", file=self._stream, flush=True)

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
