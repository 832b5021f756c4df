"""The process pool of the Parse stage: parsing uses every core, and a parser that crashes
(a grammar is native code) takes down a worker, never the server.

One pool per process, shared by every ingest and started on first use (spawned workers import
the grammars once, which costs a second or two). A pool broken by a crashed worker is
replaced; the file being parsed is reported as failed and retried by the next ingest.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_lock = threading.Lock()
_pools: dict[int, ProcessPoolExecutor] = {}


class ParserCrashed(RuntimeError):
    """The parser process died on a file (a native crash); nothing of it was indexed."""


def _start_worker() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle, and the worker dies with it."""
    # The terminal sends SIGINT to every process of its group: a worker would end with a
    # KeyboardInterrupt traceback of its own, and the parent, which shuts the pool down in
    # order, would find it broken.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this worker when its parent dies, so a `kill -9` of
    the server or of `knowport ingest --local` leaves no parser behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call above took effect
            os._exit(0)


def _pool(workers: int) -> Executor:
    with _lock:
        if workers not in _pools:
            # spawn, not fork: the server runs gRPC and asyncio threads, which a forked child
            # would inherit in an undefined state.
            _pools[workers] = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker)
        return _pools[workers]


def _discard(workers: int, broken: Executor) -> None:
    with _lock:
        if _pools.get(workers) is broken:
            del _pools[workers]
    broken.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown_all() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


class ParsePool:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    async def start(self) -> None:
        """Start every worker now, while this process is small: a spawned worker begins as a
        fork of it, which for an instant counts this process's memory twice."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.workers)))

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        # A crash breaks every call in flight on that pool, not only the culprit's: each gets
        # one more try on a fresh pool, where only the culprit crashes again.
        for _ in range(2):
            pool = _pool(self.workers)
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
            except BrokenProcessPool:
                _discard(self.workers, pool)
        raise ParserCrashed("the parser process crashed on this file (twice)")
