"""Builds the gRPC server: the enabled services, health, reflection, interceptor, limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from knowport.v1 import ingest_service_pb2, knowledge_service_pb2, lock_service_pb2
from knowport.v1 import ingest_service_pb2_grpc as ingest_grpc
from knowport.v1 import knowledge_service_pb2_grpc as knowledge_grpc
from knowport.v1 import lock_service_pb2_grpc as lock_grpc
from services.config import Settings
from services.domain.models import Workspace
from services.inference.llm import OpenGate
from services.ingestor.assembly import Ingestion, build_embedder, build_ingestion, build_watcher
from services.ingestor.servicer import IngestServicer
from services.ingestor.watcher import Watcher
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.servicer import KnowledgeServicer
from services.llm_lock.gate import LockGate
from services.llm_lock.lock import LlmLock
from services.llm_lock.servicer import LockServicer
from services.rpc.requests import WorkspaceResolver
from services.server.health import HealthMonitor
from services.server.transport import bind, make_grpc_server
from services.storage.port import Storage

log = logging.getLogger(__name__)

SERVICE_NAMES = {
    "ingest": ingest_service_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
    "lock": lock_service_pb2.DESCRIPTOR.services_by_name["LockService"].full_name,
    "knowledge": knowledge_service_pb2.DESCRIPTOR.services_by_name["KnowledgeService"].full_name,
}


@dataclass
class RunningServer:
    server: grpc.aio.Server
    health: HealthMonitor
    port: int
    lock: LlmLock
    ingestion: Ingestion | None = None
    watcher: Watcher | None = None


async def start_server(settings: Settings, storage: Storage,
                       default_workspace: Workspace) -> RunningServer:
    """Start serving on GRPC_HOST:GRPC_PORT (port 0 picks one) and return the bound port."""
    runtime = settings.runtime
    server = make_grpc_server(runtime)
    workspaces = WorkspaceResolver(storage, default_workspace)
    enabled = sorted(runtime.services)
    # The lock lives in storage: the ingest pipeline's gate needs it even where this process
    # does not serve LockService (another process sharing PostgreSQL may).
    lock = LlmLock(storage, settings.llm_lock)
    await lock.start()
    ingestion = None
    if "ingest" in enabled:
        ingestion = build_ingestion(settings, storage, LockGate(lock))
        ingest_grpc.add_IngestServiceServicer_to_server(
            IngestServicer(storage, workspaces, ingestion.jobs), server)
    if "lock" in enabled:
        lock_grpc.add_LockServiceServicer_to_server(LockServicer(lock), server)
    if "knowledge" in enabled:
        # Queries are embedded by the model the ingest embeds chunks with. Not behind the LLM
        # lock: the agent holding the lock is the one searching.
        embedder = build_embedder(settings, OpenGate())
        query_embedder = QueryEmbedder(embedder) if embedder is not None else None
        if query_embedder is not None:
            # A local model takes seconds to load: load it now, in the background, so the
            # first searches answer lexically at once instead of waiting past their deadline.
            query_embedder.warm_up()
        knowledge = KnowledgeServicer(
            storage, workspaces, budget_bytes=runtime.knowport_max_response_bytes,
            query_embedder=query_embedder)
        knowledge_grpc.add_KnowledgeServiceServicer_to_server(knowledge, server)
    names = [SERVICE_NAMES[name] for name in enabled]
    health = HealthMonitor(storage, names, runtime.knowport_health_interval_seconds)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    if runtime.knowport_reflection:
        reflection.enable_server_reflection([*names, health_name, reflection.SERVICE_NAME],
                                            server)
    port = bind(server, runtime)
    await server.start()
    await health.start()
    watcher = None
    if ingestion is not None and settings.ingest.knowport_watch:
        watcher = build_watcher(settings, storage, ingestion, default_workspace)
        watcher.start()
    return RunningServer(server=server, health=health, port=port, lock=lock,
                         ingestion=ingestion, watcher=watcher)


async def stop_server(running: RunningServer, grace: float) -> None:
    """Health NOT_SERVING first, then stop accepting and let in-flight calls finish."""
    await running.health.shutdown()
    await running.server.stop(grace)
    if running.watcher is not None:
        await running.watcher.close()
    if running.ingestion is not None:
        await running.ingestion.close()
    await running.lock.close()
