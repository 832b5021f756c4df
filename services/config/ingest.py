"""Ingest settings: which files to index, and how the server runs ingests."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.workspace_files.policy import DEFAULT_MAX_FILE_BYTES, ScanRules


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    ingest_max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, ge=1)
    ingest_include_extensions: str = ""  # comma-separated, e.g. ".py,.md"; empty: all
    ingest_include_globs: str = ""  # comma-separated .gitignore-style globs
    ingest_exclude_globs: str = ""  # comma-separated; wins over includes
    ingest_skip_secrets: bool = True
    ingest_parse_workers: int = Field(default=2, ge=1, le=64)
    # A running job whose heartbeat is older than this is taken to have died with its process.
    ingest_stale_after_seconds: float = Field(default=15.0, ge=1.0, le=3600)
    # `knowport serve` starts an incremental ingest of WORKSPACE when it starts.
    knowport_ingest_on_start: bool = True
    # `knowport serve` watches WORKSPACE and ingests the files that change (ingestor/watcher.py).
    knowport_watch: bool = True
    # Changes are gathered until none came for this long, then ingested as one job.
    knowport_watch_debounce_ms: int = Field(default=100, ge=10, le=60_000)
    # auto: the OS's file events, falling back to `rescan` where they are unavailable;
    # poll: watchfiles' polling (network or container mounts without events);
    # rescan: an incremental ingest of the whole workspace every rescan interval.
    knowport_watch_mode: Literal["auto", "poll", "rescan"] = "auto"
    knowport_watch_rescan_seconds: float = Field(default=60.0, ge=0.5, le=86_400)

    @field_validator("ingest_include_extensions", "ingest_include_globs", "ingest_exclude_globs")
    @classmethod
    def _valid_rules(cls, value: str, info) -> str:
        ScanRules.from_strings(**{info.field_name.removeprefix("ingest_"): value})
        return value

    def scan_rules(self) -> ScanRules:
        return ScanRules.from_strings(
            include_extensions=self.ingest_include_extensions,
            include_globs=self.ingest_include_globs, exclude_globs=self.ingest_exclude_globs,
            max_file_bytes=self.ingest_max_file_bytes, skip_secrets=self.ingest_skip_secrets)
