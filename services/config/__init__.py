"""Configuration by concern (runtime, storage, llm, llm_lock, ingest, mcp, http), as in the seed.

Loaded once by the entry point with `load_settings()` and passed down; nothing reads the
environment at import time.
"""

from services.config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
