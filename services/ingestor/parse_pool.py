"""A process pool for the Parse stage, so parsing uses every core.

Started lazily (spawned workers import the grammars once, which costs a second or two) and
only for jobs big enough to repay that; small jobs parse in a thread.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor

# Below this many files to parse, a thread is faster than starting worker processes.
POOL_MIN_FILES = 200


class ParsePool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def executor_for(self, files: int) -> Executor | None:
        """The pool for a job of `files` files, or None to parse in a thread."""
        if files < POOL_MIN_FILES or self.workers < 2:
            return None
        if self._executor is None:
            # spawn, not fork: the server process runs gRPC and asyncio threads, which a
            # forked child would inherit in an undefined state.
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
