"""MCP bridge settings: the transport, who may call it over HTTP, deadlines, the docs index."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
DEFAULT_ALLOWED_ORIGINS = "http://localhost,http://127.0.0.1,http://[::1]"
DEFAULT_DOCS_PATTERNS = "**/*.md,**/*.rst,**/*.txt"


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def check_origins(value: str) -> str:
    for origin in _split(value):
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ValueError(f"{origin!r} is not an origin like http://localhost:3000")
    return value


def origin_forms(value: str) -> list[str]:
    """Origins for the MCP SDK's transport check: each exactly, and on any port."""
    return [form for origin in _split(value) for form in (origin, f"{origin}:*")]


def host_forms(host: str) -> list[str]:
    """Host headers an HTTP listener answers: loopback names and the bound host, any port."""
    names = ["127.0.0.1", "localhost", "[::1]"]
    bound = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if bound not in names:
        names.append(bound)
    return [form for name in names for form in (name, f"{name}:*")]


class McpSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # stdio (the default: the MCP host starts `knowport mcp` itself) or streamable HTTP.
    mcp_transport: Literal["stdio", "http"] = "stdio"
    mcp_http_host: str = "127.0.0.1"
    mcp_http_port: int = Field(default=8765, ge=0, le=65535)  # 0 picks a free port
    # Binding anything but loopback must be asked for explicitly, and needs MCP_TOKEN.
    mcp_http_allow_remote: bool = False
    # Browser origins allowed to call the HTTP transport (requests without Origin are not
    # browsers and pass); each entry matches that origin on any port.
    mcp_allowed_origins: str = DEFAULT_ALLOWED_ORIGINS
    # Optional bearer token the HTTP transport requires (`Authorization: Bearer <token>`).
    mcp_token: SecretStr = SecretStr("")
    # Every gRPC call a tool makes has this deadline; an unreachable server is a tool error
    # within it.
    mcp_deadline_seconds: float = Field(default=5.0, gt=0, le=120)
    # search_docs' LLM provider (with OPENAI_API_BASE set): how long one request may take
    # (LLM_TIMEOUT_SECONDS when that is shorter: an agent is waiting), and how many documents'
    # titles and opening lines it is shown.
    mcp_llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    mcp_llm_max_docs: int = Field(default=200, ge=1, le=2000)
    # The docs the local index covers (search_docs / read_doc), as workspace-relative globs.
    mcp_docs_patterns: str = DEFAULT_DOCS_PATTERNS
    mcp_docs_max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # The LRU cache of document texts read_doc and snippets use: files, and characters in all.
    mcp_docs_cache_files: int = Field(default=10_000, ge=0)
    mcp_docs_cache_chars: int = Field(default=64 * 1024 * 1024, ge=0)

    @field_validator("mcp_transport", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("mcp_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return check_origins(value)

    @field_validator("mcp_docs_patterns")
    @classmethod
    def _patterns(cls, value: str) -> str:
        if not _split(value):
            raise ValueError("expected comma-separated globs, e.g. **/*.md,docs/**/*.rst")
        return value

    @model_validator(mode="after")
    def _remote_needs_consent_and_token(self) -> McpSettings:
        if self.mcp_transport == "http" and not is_loopback(self.mcp_http_host):
            if not self.mcp_http_allow_remote:
                raise ValueError(f"MCP_HTTP_HOST={self.mcp_http_host} is not a loopback address; "
                                 "set MCP_HTTP_ALLOW_REMOTE=true to bind it anyway")
            if not self.mcp_token.get_secret_value():
                raise ValueError("a non-loopback MCP_HTTP_HOST needs MCP_TOKEN")
        return self

    @property
    def docs_patterns(self) -> tuple[str, ...]:
        return tuple(_split(self.mcp_docs_patterns))

    @property
    def allowed_origins(self) -> list[str]:
        return origin_forms(self.mcp_allowed_origins)

    @property
    def allowed_hosts(self) -> list[str]:
        return host_forms(self.mcp_http_host)
