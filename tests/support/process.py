"""Runs `knowport serve` as a real subprocess and finds the address it printed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
BANNER = re.compile(r"knowport serving on (\S+):(\d+)")


@dataclass
class ServeProcess:
    proc: subprocess.Popen
    address: str
    output: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


def tool(name: str) -> str:
    """A console script installed in this virtual environment (knowport, grpcurl, buf)."""
    return str(BIN / name)


class LineWatch:
    """Keeps a process's output drained into `lines` for its whole life and catches the first
    line matching a pattern."""

    def __init__(self, proc: subprocess.Popen, lines: list[str], pattern: re.Pattern) -> None:
        self._match: re.Match | None = None
        self._done = threading.Event()

        def pump() -> None:
            for line in proc.stdout:
                lines.append(line)
                if self._match is None and (found := pattern.search(line)):
                    self._match = found
                    self._done.set()
            self._done.set()  # the output ended: no match will come

        threading.Thread(target=pump, daemon=True).start()

    def wait(self, timeout: float) -> re.Match | None:
        """The matching line, or None if the output ended or `timeout` passed first."""
        self._done.wait(timeout)
        return self._match


def start_serve(env: dict[str, str], timeout: float = 60) -> ServeProcess:
    # No watcher unless a test asks for one: files a test changes must stay as it left them.
    full_env = {**os.environ, "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "0",
                "KNOWPORT_WATCH": "false", **env}
    proc = subprocess.Popen([tool("knowport"), "serve"], env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    banner = LineWatch(proc, lines, BANNER).wait(timeout)
    if banner is None:
        proc.kill()
        raise RuntimeError("knowport serve printed no address:\n" + "".join(lines))
    return ServeProcess(proc, f"{banner.group(1)}:{banner.group(2)}", lines)


GATEWAY_LINE = re.compile(r"knowport HTTP/JSON on (https?://\S+)")


def gateway_base(served: ServeProcess, timeout: float = 30) -> str:
    """The HTTP/JSON gateway's base URL, from the line `knowport serve` prints after its
    banner (KNOWPORT_HTTP_PORT set)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(served.output):
            if found := GATEWAY_LINE.search(line):
                return found.group(1)
        time.sleep(0.05)
    raise RuntimeError("knowport serve printed no gateway address:\n" + "".join(served.output))


def wait_ingest_succeeded(base: str, timeout: float = 300) -> None:
    """Until the newest ingest job, asked over the gateway, has succeeded."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = httpx.get(f"{base}/v1/ingest/jobs").json().get("jobs", [])
        if jobs and jobs[0]["state"] == "INGEST_JOB_STATE_SUCCEEDED":
            return
        time.sleep(0.2)
    raise RuntimeError("the ingest did not succeed in time")
