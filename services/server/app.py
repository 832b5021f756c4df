"""Builds the gRPC server: the enabled services, health, reflection, interceptor, limits."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from knowport.v1 import (
    ingest_service_pb2,
    knowledge_service_pb2,
    lock_service_pb2,
    workspace_service_pb2,
)
from knowport.v1 import ingest_service_pb2_grpc as ingest_grpc
from knowport.v1 import knowledge_service_pb2_grpc as knowledge_grpc
from knowport.v1 import lock_service_pb2_grpc as lock_grpc
from knowport.v1 import system_service_pb2_grpc as system_grpc
from knowport.v1 import workspace_service_pb2_grpc as workspace_grpc
from services.config import ConfigError, Settings
from services.domain.errors import FailedPrecondition, InvalidArgument
from services.domain.models import Workspace
from services.http_gateway.serve import RunningGateway, start_gateway
from services.inference.llm import OpenGate
from services.ingestor.assembly import Ingestion, build_embedder, build_ingestion, build_watcher
from services.ingestor.servicer import IngestServicer
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.servicer import KnowledgeServicer
from services.llm_lock.gate import LockGate
from services.llm_lock.lock import LlmLock
from services.llm_lock.servicer import LockServicer
from services.server.health import HealthMonitor
from services.server.status import SYSTEM_SERVICE, StatusServicer, product_version
from services.server.transport import bind, make_grpc_server
from services.server.watchers import Watchers
from services.storage.port import Storage
from services.workspaces.registry import WorkspaceRegistry
from services.workspaces.servicer import WorkspaceServicer

log = logging.getLogger(__name__)

SERVICE_NAMES = {
    "ingest": ingest_service_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
    "lock": lock_service_pb2.DESCRIPTOR.services_by_name["LockService"].full_name,
    "knowledge": knowledge_service_pb2.DESCRIPTOR.services_by_name["KnowledgeService"].full_name,
}
# Served by every process: clients check their workspace against it (the MCP bridge at start).
WORKSPACE_SERVICE = workspace_service_pb2.DESCRIPTOR.services_by_name["WorkspaceService"].full_name


@dataclass
class RunningServer:
    server: grpc.aio.Server
    health: HealthMonitor
    port: int
    lock: LlmLock
    workspaces: WorkspaceRegistry
    ingestion: Ingestion | None = None
    gateway: RunningGateway | None = None
    gateway_dir: Path | None = None
    watchers: Watchers | None = None


async def start_server(settings: Settings, storage: Storage,
                       default_workspace: Workspace) -> RunningServer:
    """Start serving on GRPC_HOST:GRPC_PORT (port 0 picks one) and return the bound port."""
    runtime = settings.runtime
    server = make_grpc_server(runtime)
    workspaces = WorkspaceRegistry(storage, default_workspace)
    # WORKSPACES first: a root that is missing or nested stops the start with its reason
    # (one line and exit 2 from `knowport serve`, as any bad setting).
    try:
        await workspaces.register_at_start(runtime.extra_workspaces)
    except (InvalidArgument, FailedPrecondition) as err:
        raise ConfigError(f"WORKSPACES: {err.message}") from None
    enabled = sorted(runtime.services)
    # The lock lives in storage: the ingest pipeline's gate needs it even where this process
    # does not serve LockService (another process sharing PostgreSQL may).
    lock = LlmLock(storage, settings.llm_lock)
    await lock.start()
    ingestion = None
    if "ingest" in enabled:
        ingestion = build_ingestion(settings, storage, LockGate(lock))
        workspaces.stop_jobs = ingestion.jobs.stop_workspace
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
    workspace_grpc.add_WorkspaceServiceServicer_to_server(WorkspaceServicer(workspaces), server)
    names = [SERVICE_NAMES[name] for name in enabled] + [WORKSPACE_SERVICE]
    health = HealthMonitor(storage, names, runtime.knowport_health_interval_seconds)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    system_grpc.add_SystemServiceServicer_to_server(StatusServicer(health, names), server)
    names.append(SYSTEM_SERVICE)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    if runtime.knowport_reflection:
        reflection.enable_server_reflection([*names, health_name, reflection.SERVICE_NAME],
                                            server)
    port = bind(server, runtime)
    # The HTTP gateway calls these services over a Unix socket in a private folder: the same
    # server object (interceptors, token, budget), without the TCP port's TLS in between.
    gateway_dir = Path(tempfile.mkdtemp(prefix="knowport-http-")) if settings.http.enabled else None
    if gateway_dir is not None:
        server.add_insecure_port(f"unix:{gateway_dir / 'grpc.sock'}")
    await server.start()
    await health.start()
    watchers = None
    if ingestion is not None and settings.ingest.knowport_watch:
        watchers = Watchers(lambda workspace: build_watcher(settings, storage, ingestion,
                                                            workspace))
        for workspace in (default_workspace, *workspaces.at_start):
            await watchers.workspace_added(workspace)
        workspaces.listeners.append(watchers)
    running = RunningServer(server=server, health=health, port=port, lock=lock,
                            workspaces=workspaces, ingestion=ingestion,
                            gateway_dir=gateway_dir, watchers=watchers)
    if gateway_dir is not None:
        try:
            running.gateway = await start_gateway(
                settings, f"unix:{gateway_dir / 'grpc.sock'}", product_version())
        except BaseException:  # e.g. the HTTP port was taken since it was checked
            await stop_server(running, grace=0)
            raise
    return running


async def stop_server(running: RunningServer, grace: float) -> None:
    """Health NOT_SERVING first, then stop accepting and let in-flight calls finish."""
    await running.health.shutdown()
    if running.gateway is not None:
        await running.gateway.stop()
    await running.server.stop(grace)
    if running.gateway_dir is not None:
        shutil.rmtree(running.gateway_dir, ignore_errors=True)
    if running.watchers is not None:
        await running.watchers.close()
    if running.ingestion is not None:
        await running.ingestion.close()
    await running.lock.close()
