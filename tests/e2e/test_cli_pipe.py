"""`knowport ... | head -1`: a reader that stops reading ends the command quietly, with exit
code 141 (128 + SIGPIPE, as `ls | head` has), never "[Errno 32] Broken pipe" or a traceback."""

from __future__ import annotations

import fcntl
import os
import subprocess

import pytest

from tests.support.process import start_serve, tool

F_SETPIPE_SZ = 1031  # from <linux/fcntl.h>
READER_GONE = 141


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    # Enough code that search and file answer with many kilobytes.
    for i in range(40):
        body = "".join(f"def lease_{i}_{j}(lease):\n    return lease + {j}\n\n"
                       for j in range(30))
        (root / f"lease_{i}.py").write_text(body)
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(root),
                        "EMBEDDING_BACKEND": "none"})
    host, port = proc.address.rsplit(":", 1)
    env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port, "WORKSPACE": str(root),
           "EMBEDDING_BACKEND": "none", "STORAGE_TYPE": "memory"}
    done = subprocess.run([tool("knowport"), "ingest"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    yield env
    assert proc.stop() == 0


def _run_into_pipe(env: dict[str, str], args: list[str], *, lines: int) -> tuple[int, str]:
    """Run `knowport ARGS | head -LINES` (LINES=0: a reader gone before the first line)
    through a real pipe of 4 KB, so a longer answer cannot fit in it before the reader
    goes."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen([tool("knowport"), *args], env=env, stdout=write_end,
                            stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        for _ in range(lines):
            assert reader.readline(), "the command printed fewer lines than expected"
    stderr = proc.communicate(timeout=60)[1]
    return proc.returncode, stderr


LONG_ANSWERS = [
    ["search", "lease", "--mode", "lexical", "--limit", "50", "--json"],
    ["file", "lease_1.py", "--json"],
]
ANY_ANSWER = [*LONG_ANSWERS, ["overview"], ["search", "lease"], ["stats"], ["health"],
              ["lock", "status"], ["ingest", "--json"]]


@pytest.mark.parametrize("args", LONG_ANSWERS, ids=" ".join)
def test_head_1_on_a_long_answer_ends_it_quietly(served, args):
    code, stderr = _run_into_pipe(served, args, lines=1)
    assert code == READER_GONE, stderr
    assert stderr == ""


@pytest.mark.parametrize("args", ANY_ANSWER, ids=" ".join)
def test_a_reader_gone_before_the_first_line_ends_it_quietly(served, args):
    code, stderr = _run_into_pipe(served, args, lines=0)
    assert code == READER_GONE, stderr
    assert stderr == ""
