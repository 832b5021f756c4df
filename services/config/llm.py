"""LLM and embedding endpoints (OpenAI-compatible). Empty base URL means: no LLM configured."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    openai_api_base: str = ""
    openai_api_key: SecretStr = SecretStr("")
    llm_model: str = "gpt-4o-mini"
    llm_concurrency: int = Field(default=4, ge=1, le=64)
    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    # auto: the endpoint's EMBEDDING_MODEL when both are set, else the bundled local model.
    # local: all-MiniLM-L6-v2 through ONNX Runtime; local-st: the same model through
    # sentence-transformers (PyTorch), the engine before ONNX.
    embedding_backend: Literal["auto", "openai", "local", "local-st", "none"] = "auto"
    # The ONNX engine's precision: int8 (faster, mean cosine >= 0.99 to fp32) or fp32 (the
    # vectors of local-st, sharing their cache). A change re-embeds: the cache key differs.
    local_embedding_precision: Literal["int8", "fp32"] = "int8"
    # Word pieces the ONNX engine reads per text (the model's own limit is 256).
    local_embedding_max_tokens: int = Field(default=128, ge=16, le=256)
    embedding_model: str = ""
    embedding_batch_size: int = Field(default=64, ge=1, le=2048)

    @field_validator("openai_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _openai_embeddings_need_endpoint(self) -> LlmSettings:
        if self.embedding_backend == "openai" and not (self.openai_api_base
                                                       and self.embedding_model):
            raise ValueError("EMBEDDING_BACKEND=openai needs OPENAI_API_BASE and EMBEDDING_MODEL")
        return self
