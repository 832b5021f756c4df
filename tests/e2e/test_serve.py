"""`knowport serve` as a real process, probed the way people and orchestrators probe it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.process import start_serve, tool


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("grpcurl"), "-plaintext", *args], capture_output=True,
                          text=True, timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # The data dir is not under pytest's tmp_path: see tests/support/postgres.py.
    data = Path(tempfile.mkdtemp(prefix="knowport-e2e-"))
    proc = start_serve({"STORAGE_TYPE": "postgres", "KNOWPORT_DATA_DIR": str(data),
                        "WORKSPACE": str(tmp_path_factory.mktemp("ws"))})
    yield proc
    assert proc.stop() == 0, "".join(proc.output)
    shutil.rmtree(data, ignore_errors=True)


def test_grpcurl_lists_the_services_health_and_reflection(served):
    listed = grpcurl(served.address, "list")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {
        "knowport.v1.IngestService", "knowport.v1.LockService", "knowport.v1.KnowledgeService",
        "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}


def test_grpcurl_describes_and_calls_through_reflection(served):
    described = grpcurl(served.address, "describe", "knowport.v1.KnowledgeService")
    assert described.returncode == 0 and "SearchRequest" in described.stdout
    stats = grpcurl("-d", "{}", served.address, "knowport.v1.IngestService/GetStats")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["storage_backend"] == "postgres"
    bad = grpcurl("-d", '{"pageSize": -1}', served.address,
                  "knowport.v1.IngestService/ListIngestJobs")
    assert bad.returncode != 0 and "InvalidArgument" in bad.stderr


def test_grpcurl_health_check(served):
    for service in ("", "knowport.v1.KnowledgeService"):
        body = json.dumps({"service": service})
        reply = grpcurl("-d", body, served.address, "grpc.health.v1.Health/Check")
        assert reply.returncode == 0, reply.stderr
        assert json.loads(reply.stdout)["status"] == "SERVING"


def test_sigterm_exits_zero_and_reports_shutdown(tmp_path):
    proc = start_serve({"STORAGE_TYPE": "memory", "WORKSPACE": str(tmp_path)})
    assert proc.stop(signal.SIGTERM, timeout=20) == 0
    assert any("shutting down" in line for line in proc.output)


def test_bad_configuration_stops_start_with_one_line_naming_the_variable(tmp_path):
    result = subprocess.run([tool("knowport"), "serve"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "GRPC_PORT": "seventy",
                                 "WORKSPACE": str(tmp_path)}, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "GRPC_PORT" in result.stderr and "Traceback" not in result.stderr
