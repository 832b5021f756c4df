"""All settings in one object, loaded once; a bad value becomes one clear line."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from services.config.http import HttpSettings
from services.config.ingest import IngestSettings
from services.config.llm import LlmSettings
from services.config.llm_lock import LlmLockSettings
from services.config.mcp import McpSettings
from services.config.runtime import RuntimeSettings
from services.config.storage import StorageSettings


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    runtime: RuntimeSettings
    storage: StorageSettings
    llm: LlmSettings
    llm_lock: LlmLockSettings
    ingest: IngestSettings
    mcp: McpSettings
    http: HttpSettings


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    variable = "_".join(str(part) for part in first["loc"]).upper()
    message = first["msg"].removeprefix("Value error, ")
    given = first.get("input")
    if variable and not isinstance(given, dict):
        return f"bad configuration: {variable}={given!r}: {message}"
    return f"bad configuration: {message}"


def load_settings() -> Settings:
    """Read every concern from the environment (seed variable names accepted)."""
    try:
        settings = Settings(runtime=RuntimeSettings(), storage=StorageSettings(),
                            llm=LlmSettings(), llm_lock=LlmLockSettings(),
                            ingest=IngestSettings(), mcp=McpSettings(), http=HttpSettings())
    except ValidationError as err:
        raise ConfigError(_first_error(err)) from None
    try:
        settings.http.check_remote(bool(settings.runtime.knowport_auth_token.get_secret_value()))
    except ValueError as err:
        raise ConfigError(f"bad configuration: {err}") from None
    return settings
