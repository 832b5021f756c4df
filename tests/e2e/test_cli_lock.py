"""`knowport lock` as a person or a script uses it, against a real `knowport serve`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.process import start_serve, tool


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    proc = start_serve({"STORAGE_TYPE": "memory", "LLM_LOCK_MIN_TTL_SECONDS": "1",
                        "KNOWPORT_INGEST_ON_START": "false",
                        "WORKSPACE": str(tmp_path_factory.mktemp("ws"))})
    yield proc
    assert proc.stop() == 0


def knowport(served, *args: str) -> subprocess.CompletedProcess:
    host, port = served.address.rsplit(":", 1)
    env = {**os.environ, "GRPC_HOST": host, "GRPC_PORT": port}
    return subprocess.run([tool("knowport"), *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_acquire_status_contention_and_release(served):
    taken = knowport(served, "lock", "acquire", "--holder", "agent-a", "--ttl", "30")
    assert taken.returncode == 0, taken.stderr
    lease = taken.stdout.strip()
    status = json.loads(knowport(served, "lock", "status", "--json").stdout)
    assert status["locked"] and status["holder"] == "agent-a"
    busy = knowport(served, "lock", "acquire", "--holder", "agent-b")
    assert busy.returncode == 5 and "held by agent-a" in busy.stderr
    wrong = knowport(served, "lock", "release", "not-a-lease")
    assert wrong.returncode == 1 and "FAILED_PRECONDITION" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    released = knowport(served, "lock", "release", lease, "--json")
    assert released.returncode == 0 and not json.loads(released.stdout)["locked"]


def test_run_holds_and_renews_the_lock_while_the_command_runs(served):
    host, port = served.address.rsplit(":", 1)
    # The inner command outlives the 1 s TTL three times over, then reads the lock.
    inner = f"sleep 3; {tool('knowport')} lock status --json"
    result = knowport(served, "lock", "run", "--holder", "batch", "--ttl", "1", "--",
                      "sh", "-c", inner)
    assert result.returncode == 0, result.stderr
    during = json.loads(result.stdout)
    assert during["locked"] and during["holder"] == "batch"
    after = json.loads(knowport(served, "lock", "status", "--json").stdout)
    assert not after["locked"]
    failing = knowport(served, "lock", "run", "--holder", "batch", "--", "sh", "-c", "exit 7")
    assert failing.returncode == 7
    assert not json.loads(knowport(served, "lock", "status", "--json").stdout)["locked"]


def test_acquire_json_carries_the_lease_id_a_script_releases_with(served):
    taken = knowport(served, "lock", "acquire", "--holder", "script", "--ttl", "30", "--json")
    assert taken.returncode == 0, taken.stderr
    answer = json.loads(taken.stdout)
    assert answer["acquired"] and answer["lock"]["holder"] == "script"
    released = knowport(served, "lock", "release", answer["lease_id"], "--json")
    assert released.returncode == 0, released.stderr
    assert not json.loads(released.stdout)["locked"]
