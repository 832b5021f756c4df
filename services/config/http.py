"""The HTTP/JSON gateway's settings: whether and where it listens, who may call it."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.config.mcp import (
    DEFAULT_ALLOWED_ORIGINS,
    check_origins,
    host_forms,
    is_loopback,
    origin_forms,
)


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # Unset: no gateway. 0 picks a free port (printed at start).
    knowport_http_port: int | None = Field(default=None, ge=0, le=65535)
    knowport_http_host: str = "127.0.0.1"
    # Binding anything but loopback must be asked for explicitly, and needs KNOWPORT_AUTH_TOKEN.
    knowport_http_allow_remote: bool = False
    # Browser origins allowed to call (requests without Origin are not browsers and pass);
    # each entry matches that origin on any port, as on the MCP HTTP transport.
    knowport_http_allowed_origins: str = DEFAULT_ALLOWED_ORIGINS
    # A unary call without a `grpc-timeout` header gets this deadline (streams get none).
    knowport_http_default_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("knowport_http_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return check_origins(value)

    @property
    def enabled(self) -> bool:
        return self.knowport_http_port is not None

    def check_remote(self, has_token: bool) -> None:
        """A non-loopback bind needs consent and a token; raises ValueError otherwise."""
        if not self.enabled or is_loopback(self.knowport_http_host):
            return
        if not self.knowport_http_allow_remote:
            raise ValueError(f"KNOWPORT_HTTP_HOST={self.knowport_http_host} is not a loopback "
                             "address; set KNOWPORT_HTTP_ALLOW_REMOTE=true to bind it anyway")
        if not has_token:
            raise ValueError("a non-loopback KNOWPORT_HTTP_HOST needs KNOWPORT_AUTH_TOKEN")

    @property
    def allowed_origins(self) -> list[str]:
        return origin_forms(self.knowport_http_allowed_origins)

    @property
    def allowed_hosts(self) -> list[str]:
        return host_forms(self.knowport_http_host)
