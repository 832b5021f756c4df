"""Storage settings: the backend and, for PostgreSQL, where it is.

With STORAGE_TYPE=postgres and neither POSTGRES_DSN nor POSTGRES_HOST set, the server starts
an embedded PostgreSQL under the data directory.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    storage_type: Literal["postgres", "memory"] = "postgres"
    postgres_dsn: str = ""
    postgres_host: str = ""
    postgres_port: int = Field(default=5432, ge=1, le=65535)
    postgres_db: str = "knowport"
    postgres_user: str = "knowport"
    postgres_password: SecretStr = SecretStr("")
    postgres_pool_size: int = Field(default=10, ge=1, le=200)

    def external_dsn(self) -> str:
        """The DSN of an external server, or "" when the embedded one should be used."""
        if self.postgres_dsn:
            return self.postgres_dsn
        if not self.postgres_host:
            return ""
        auth = quote(self.postgres_user, safe="")
        if self.postgres_password.get_secret_value():
            auth += ":" + quote(self.postgres_password.get_secret_value(), safe="")
        return f"postgresql://{auth}@{self.postgres_host}:{self.postgres_port}/{self.postgres_db}"
