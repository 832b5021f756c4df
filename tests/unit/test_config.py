from __future__ import annotations

import pytest

from services.config import ConfigError, load_settings
from services.config.runtime import MAX_RESPONSE_BYTES


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("GRPC_PORT", "STORAGE_TYPE", "POSTGRES_DSN", "POSTGRES_HOST",
                 "KNOWPORT_MAX_RESPONSE_BYTES", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKSPACE", str(tmp_path))


def test_defaults_follow_the_issue():
    settings = load_settings()
    assert (settings.runtime.grpc_host, settings.runtime.grpc_port) == ("127.0.0.1", 50051)
    assert settings.runtime.knowport_max_response_bytes == MAX_RESPONSE_BYTES == 50_000
    assert settings.storage.storage_type == "postgres"
    assert settings.storage.external_dsn() == ""  # embedded by default


@pytest.mark.parametrize("name, value", [
    ("GRPC_PORT", "70000"), ("GRPC_PORT", "x"), ("STORAGE_TYPE", "mongo"),
    ("KNOWPORT_MAX_RESPONSE_BYTES", "60000"), ("OPENAI_API_BASE", "localhost:8000"),
    ("WORKSPACE", "/definitely/not/here"), ("KNOWPORT_TLS_CA_FILE", "/definitely/not/ca.crt"),
])
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in str(info.value) and "\n" not in str(info.value)


def test_a_client_certificate_needs_its_key_and_a_ca(monkeypatch, tmp_path):
    cert = tmp_path / "client.crt"
    cert.write_text("-")
    monkeypatch.setenv("KNOWPORT_TLS_CLIENT_CERT_FILE", str(cert))
    with pytest.raises(ConfigError, match="KNOWPORT_TLS_CLIENT_KEY_FILE"):
        load_settings()
    monkeypatch.setenv("KNOWPORT_TLS_CLIENT_KEY_FILE", str(cert))
    with pytest.raises(ConfigError, match="KNOWPORT_TLS_CA_FILE"):
        load_settings()
    monkeypatch.setenv("KNOWPORT_TLS_CA_FILE", str(cert))
    assert load_settings().runtime.client_tls_files == (cert, cert, cert)


def test_seed_postgres_variables_build_a_dsn_and_hide_the_password(monkeypatch):
    monkeypatch.setenv("POSTGRES_HOST", "db")
    monkeypatch.setenv("POSTGRES_USER", "rag")
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss")
    monkeypatch.setenv("POSTGRES_DB", "rag")
    storage = load_settings().storage
    assert storage.external_dsn() == "postgresql://rag:p%40ss@db:5432/rag"
    assert "p@ss" not in repr(storage)


def test_the_http_gateway_is_off_by_default_and_loopback_only_unless_asked(monkeypatch):
    http = load_settings().http
    assert not http.enabled and http.knowport_http_host == "127.0.0.1"
    monkeypatch.setenv("KNOWPORT_HTTP_PORT", "8080")
    monkeypatch.setenv("KNOWPORT_HTTP_HOST", "0.0.0.0")
    with pytest.raises(ConfigError, match="KNOWPORT_HTTP_ALLOW_REMOTE"):
        load_settings()
    monkeypatch.setenv("KNOWPORT_HTTP_ALLOW_REMOTE", "true")
    with pytest.raises(ConfigError, match="KNOWPORT_AUTH_TOKEN"):
        load_settings()
    monkeypatch.setenv("KNOWPORT_AUTH_TOKEN", "s3cret")
    assert load_settings().http.enabled
    monkeypatch.setenv("KNOWPORT_HTTP_ALLOWED_ORIGINS", "evil.example")
    with pytest.raises(ConfigError, match="KNOWPORT_HTTP_ALLOWED_ORIGINS"):
        load_settings()
