"""Runs `knowport serve` as a real subprocess and finds the address it printed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
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
