"""Process-level settings: where to serve, what to index, where state lives, limits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The product's promise: no response over 50 KB. Operators may lower the budget, never raise it.
MAX_RESPONSE_BYTES = 50_000
SERVICE_NAMES = ("ingest", "lock", "knowledge")


def default_data_dir() -> Path:
    """Per-user data folder (XDG), so the index survives restarts without any set-up."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "knowport"


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    workspace: Path = Field(default_factory=Path.cwd)
    # More roots to register at start (comma-separated absolute paths), besides WORKSPACE,
    # which stays the default one; WorkspaceService adds and removes others while serving.
    workspaces: str = ""
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    knowport_data_dir: Path = Field(default_factory=default_data_dir)
    knowport_max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, ge=1024,
                                             le=MAX_RESPONSE_BYTES)
    # Requests are small (a query, a path); anything near this is abuse or a bug.
    knowport_max_receive_bytes: int = Field(default=1 << 20, ge=4096, le=64 << 20)
    knowport_shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=300)
    knowport_health_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    knowport_services: str = ",".join(SERVICE_NAMES)
    # Calls in flight at once (health probes excepted); more get RESOURCE_EXHAUSTED.
    knowport_max_concurrent_rpcs: int = Field(default=256, ge=1, le=100_000)
    # Long-lived streams (watches) have a budget of their own, per client address and overall,
    # so they never take the room of unary calls.
    knowport_max_streams_per_peer: int = Field(default=32, ge=1, le=100_000)
    knowport_max_streams: int = Field(default=128, ge=1, le=100_000)
    # Connections: a cap overall (gRPC core refuses more at accept), how long a new connection
    # may take to send its HTTP/2 preface (and TLS handshake) before it is closed, and how long
    # a connection with no call may stay open (clients reconnect transparently).
    knowport_max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    knowport_handshake_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    knowport_connection_idle_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # A connection with calls open (a watch) that has been quiet this long gets a ping; no
    # answer within the timeout closes it, so a vanished or frozen client frees its streams.
    knowport_keepalive_seconds: float = Field(default=60.0, ge=1, le=7200)
    knowport_keepalive_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    # Access control and transport security (all optional).
    knowport_auth_token: SecretStr = SecretStr("")
    knowport_tls_cert_file: Path | None = None
    knowport_tls_key_file: Path | None = None
    knowport_tls_client_ca_file: Path | None = None  # set: clients must present a cert (mTLS)
    knowport_reflection: bool = True
    # How this process's clients (the CLI, the MCP bridge) reach a TLS server: the CA that
    # signed its certificate turns TLS on; a certificate and key of their own, for mutual TLS.
    knowport_tls_ca_file: Path | None = None
    knowport_tls_client_cert_file: Path | None = None
    knowport_tls_client_key_file: Path | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("workspace")
    @classmethod
    def _workspace_is_dir(cls, value: Path) -> Path:
        value = value.expanduser().resolve()
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("knowport_services")
    @classmethod
    def _known_services(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = sorted(set(names) - set(SERVICE_NAMES))
        if unknown or not names:
            raise ValueError(f"expected a comma-separated subset of {', '.join(SERVICE_NAMES)}")
        return ",".join(names)

    @field_validator("knowport_tls_cert_file", "knowport_tls_key_file",
                     "knowport_tls_client_ca_file", "knowport_tls_ca_file",
                     "knowport_tls_client_cert_file", "knowport_tls_client_key_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    @model_validator(mode="after")
    def _stream_limits(self) -> RuntimeSettings:
        if self.knowport_max_streams_per_peer > self.knowport_max_streams:
            raise ValueError("KNOWPORT_MAX_STREAMS_PER_PEER must not exceed KNOWPORT_MAX_STREAMS")
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> RuntimeSettings:
        if (self.knowport_tls_cert_file is None) != (self.knowport_tls_key_file is None):
            raise ValueError("KNOWPORT_TLS_CERT_FILE and KNOWPORT_TLS_KEY_FILE go together")
        if self.knowport_tls_client_ca_file and not self.knowport_tls_cert_file:
            raise ValueError("KNOWPORT_TLS_CLIENT_CA_FILE needs KNOWPORT_TLS_CERT_FILE too")
        if ((self.knowport_tls_client_cert_file is None)
                != (self.knowport_tls_client_key_file is None)):
            raise ValueError("KNOWPORT_TLS_CLIENT_CERT_FILE and KNOWPORT_TLS_CLIENT_KEY_FILE "
                             "go together")
        if self.knowport_tls_client_cert_file and not self.knowport_tls_ca_file:
            raise ValueError("KNOWPORT_TLS_CLIENT_CERT_FILE needs KNOWPORT_TLS_CA_FILE too")
        return self

    @property
    def extra_workspaces(self) -> list[str]:
        """The roots of WORKSPACES, in order, WORKSPACE itself left out."""
        roots = [root.strip() for root in self.workspaces.split(",") if root.strip()]
        return [r for r in dict.fromkeys(roots) if r != str(self.workspace)]

    @property
    def client_tls_files(self) -> tuple[Path, Path | None, Path | None] | None:
        """(CA, client certificate, client key) for reaching a TLS server; None: plaintext."""
        if self.knowport_tls_ca_file is None:
            return None
        return (self.knowport_tls_ca_file, self.knowport_tls_client_cert_file,
                self.knowport_tls_client_key_file)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self.knowport_services.split(","))
