"""A parser that dies (a grammar is native code) takes down a worker process, never the
caller; the pool is replaced and the next parse works."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.ingestor.chunking import parse_to_chunks
from services.ingestor.parse_pool import ParsePool, ParserCrashed

REPO = Path(__file__).resolve().parents[2]


async def test_a_crashing_worker_is_reported_and_the_pool_recovers():
    pool = ParsePool(2)
    with pytest.raises(ParserCrashed, match="crashed"):
        await pool.run(os._exit, 3)  # the worker dies as a segfaulting grammar would
    chunks = await pool.run(parse_to_chunks, "a.py", "def f():\n    return 1\n", "python")
    assert [(c.symbol, c.kind) for c in chunks] == [("f", "function")]
    assert chunks[0].terms  # search terms are computed in the worker


async def test_a_worker_ignores_ctrl_c_and_goes_on_serving():
    pool = ParsePool(1)
    worker = await pool.run(os.getpid)
    await idle(worker)  # a signal while it sends a result back is swallowed: no test then
    # Ctrl-C reaches every process of the terminal's group; the parent handles shutdown.
    os.kill(worker, signal.SIGINT)
    # Before: the worker died with a KeyboardInterrupt traceback, and a fresh one answered.
    assert await pool.run(os.getpid) == worker


# What the `knowport` console script runs (pyproject: knowport = "services.cli:main"), then a
# parse pool whose worker reports the modules it holds.
CONSOLE_SCRIPT = """
import sys
from services.cli import main
if __name__ == "__main__":
    import asyncio
    from services.ingestor.parse_pool import ParsePool
    print(*asyncio.run(ParsePool(1).run(eval, "sorted(__import__('sys').modules)")))
"""


def test_a_worker_started_by_the_knowport_command_loads_no_settings_library(tmp_path):
    """A spawned worker imports its parent's main script first: for `knowport`, the CLI
    package, which must stay light (the settings and pydantic cost each worker ~15 MB)."""
    script = tmp_path / "knowport"
    script.write_text(CONSOLE_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert {"__mp_main__", "services.cli", "services.ingestor.parse_pool"} <= loaded
    assert not {"pydantic", "pydantic_settings", "services.config"} & loaded


async def idle(pid: int) -> None:
    """Until the process sleeps (a worker between tasks waits on its task pipe)."""
    deadline = time.monotonic() + 10
    while state(pid) != "S":
        assert time.monotonic() < deadline, "the worker never went idle"
        await asyncio.sleep(0.01)


def state(pid: int) -> str:
    """R running, S sleeping, ... (proc(5): the field after the command's name)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
