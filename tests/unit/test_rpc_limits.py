"""The small pieces behind the server's limits: peer identity for the stream budget, the
rate-limited warning for malformed requests, the connection cap and the settings' bounds."""

from __future__ import annotations

import logging
import resource

import pytest

from services.config import ConfigError, load_settings
from services.domain.errors import ResourceExhausted
from services.rpc.malformed import RateLimitedLog
from services.rpc.streams import StreamBudget, peer_address
from services.server.transport import RESERVED_DESCRIPTORS, connection_cap


@pytest.mark.parametrize("peer, address", [
    ("ipv4:127.0.0.1:5123", "ipv4:127.0.0.1"),
    ("ipv6:%5B::1%5D:40130", "ipv6:%5B::1%5D"),
    ("unix:/tmp/knowport.sock", "unix:/tmp/knowport.sock"),
])
def test_peer_address_leaves_out_the_port(peer, address):
    assert peer_address(peer) == address


def test_stream_budget_counts_per_address_and_forgets_closed_peers():
    budget = StreamBudget(per_peer=2, overall=3)
    with budget.admitted("ipv4:10.0.0.1:1"), budget.admitted("ipv4:10.0.0.1:2"):
        with (pytest.raises(ResourceExhausted, match="KNOWPORT_MAX_STREAMS_PER_PEER=2"),
              budget.admitted("ipv4:10.0.0.1:3")):
            pass
        with (budget.admitted("ipv4:10.0.0.2:1"),
              pytest.raises(ResourceExhausted, match="KNOWPORT_MAX_STREAMS=3"),
              budget.admitted("ipv4:10.0.0.3:1")):
            pass
    assert not budget._open and budget._total == 0
    with budget.admitted("ipv4:10.0.0.1:4"):  # room again once the others closed
        pass


def test_rate_limited_log_says_how_many_lines_it_left_out(caplog):
    now = [100.0]
    warnings = RateLimitedLog(interval=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="services.rpc.malformed"):
        for _ in range(5):
            warnings.warn("bad request")
        now[0] += 9.9
        warnings.warn("bad request")
        now[0] += 0.1
        warnings.warn("bad request")
        warnings.warn("bad request")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["bad request", "bad request (5 more since the last such line)"]


def test_stream_limits_must_fit_together(monkeypatch):
    monkeypatch.setenv("KNOWPORT_MAX_STREAMS_PER_PEER", "20")
    monkeypatch.setenv("KNOWPORT_MAX_STREAMS", "10")
    with pytest.raises(ConfigError, match="KNOWPORT_MAX_STREAMS_PER_PEER"):
        load_settings()


@pytest.fixture
def open_files_limit():
    """Lower this process's soft RLIMIT_NOFILE to 1000 for the test, then restore it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1000, hard), hard))
    yield min(1000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_connection_cap_leaves_descriptors_for_real_work(open_files_limit, caplog):
    room = open_files_limit - RESERVED_DESCRIPTORS
    with caplog.at_level(logging.WARNING, logger="services.server.transport"):
        assert connection_cap(100) == 100
        assert connection_cap(5000) == room
    assert [r.getMessage() for r in caplog.records] == [
        f"KNOWPORT_MAX_CONNECTIONS=5000 lowered to {room}: the open-files limit (ulimit -n) "
        f"is {open_files_limit}"]
