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


def start_serve(env: dict[str, str], timeout: float = 60) -> ServeProcess:
    full_env = {**os.environ, "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "0", **env}
    proc = subprocess.Popen([tool("knowport"), "serve"], env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()
    address: list[str] = []

    def pump() -> None:  # keeps the pipe drained for the process's whole life
        for line in proc.stdout:
            lines.append(line)
            if not found.is_set() and (m := BANNER.search(line)):
                address.append(f"{m.group(1)}:{m.group(2)}")
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1):
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError("knowport serve printed no address:\n" + "".join(lines))
    if not address:
        raise RuntimeError("knowport serve exited early:\n" + "".join(lines))
    return ServeProcess(proc, address[0], lines)
