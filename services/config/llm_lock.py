"""LLM lock settings: the TTL range a lease may ask for."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmLockSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    llm_lock_default_ttl_seconds: int = Field(default=300, ge=1)
    llm_lock_min_ttl_seconds: int = Field(default=1, ge=1)
    llm_lock_max_ttl_seconds: int = Field(default=3600, ge=1)
    # Embeddings from the OpenAI-compatible endpoint wait at the lock too (the endpoint is the
    # shared LLM server); set false when embeddings come from a separate service.
    llm_lock_gates_embeddings: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> LlmLockSettings:
        if not (self.llm_lock_min_ttl_seconds <= self.llm_lock_default_ttl_seconds
                <= self.llm_lock_max_ttl_seconds):
            raise ValueError("LLM_LOCK_MIN_TTL_SECONDS <= LLM_LOCK_DEFAULT_TTL_SECONDS "
                             "<= LLM_LOCK_MAX_TTL_SECONDS must hold")
        return self
