"""Ending `knowport serve` without the interpreter's module teardown.

After the server's orderly shutdown everything it opened is closed (gRPC server, storage, the
embedded PostgreSQL) and the normal exit path has run: threads joined, the parse pool and the
other exit handlers done. What would remain is the teardown of every loaded module: with the
embedding model's libraries loaded it runs full garbage collections over millions of objects,
which took 1 s of an idle server's shutdown, and 5-9 s on a busy machine, and frees nothing
the operating system does not free at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys

_exit_code: int | None = None


def install() -> None:
    """Register first, so that this runs last of the exit handlers (they run in reverse)."""
    atexit.register(_leave)


def skip_teardown(code: int) -> None:
    """The process has shut down cleanly with `code`: end it after the exit handlers."""
    global _exit_code
    _exit_code = code


def _leave() -> None:
    if _exit_code is None:
        return
    logging.shutdown()  # its own exit handler was registered before ours, at import
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a reader that went away
            stream.flush()
    os._exit(_exit_code)
