"""LLM and embedding endpoints (OpenAI-compatible). Empty base URL means: no LLM configured."""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    openai_api_base: str = ""
    openai_api_key: SecretStr = SecretStr("")
    llm_model: str = "gpt-4o-mini"
    embedding_model: str = ""

    @field_validator("openai_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")
