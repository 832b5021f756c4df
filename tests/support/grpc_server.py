"""A real in-process gRPC server on port 0, for integration tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import grpc
from grpc_health.v1 import health_pb2_grpc

from knowport.v1 import ingest_service_pb2_grpc, knowledge_service_pb2_grpc, lock_service_pb2_grpc
from services.config import Settings, load_settings
from services.domain.models import Workspace, workspace_id_for
from services.server.app import RunningServer, start_server, stop_server
from services.storage.port import Storage
from tests.support.watchdog import within


@dataclass
class ServerHandle:
    running: RunningServer
    channel: grpc.aio.Channel
    storage: Storage
    workspace: Workspace
    settings: Settings

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.running.port}"

    @property
    def ingest(self) -> ingest_service_pb2_grpc.IngestServiceStub:
        return ingest_service_pb2_grpc.IngestServiceStub(self.channel)

    @property
    def lock(self) -> lock_service_pb2_grpc.LockServiceStub:
        return lock_service_pb2_grpc.LockServiceStub(self.channel)

    @property
    def knowledge(self) -> knowledge_service_pb2_grpc.KnowledgeServiceStub:
        return knowledge_service_pb2_grpc.KnowledgeServiceStub(self.channel)

    @property
    def health(self) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self.channel)


def settings_for(workspace: Path, **env: str) -> Settings:
    """Settings as the server would load them, from an explicit environment."""
    values = {"WORKSPACE": str(workspace), "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "0",
              "KNOWPORT_HEALTH_INTERVAL_SECONDS": "0.2", "EMBEDDING_BACKEND": "none",
              "OPENAI_API_BASE": "", "KNOWPORT_WATCH": "false", **env}
    clean = {k: v for k, v in os.environ.items() if k not in values}
    with mock.patch.dict(os.environ, {**clean, **values}, clear=True):
        return load_settings()


@asynccontextmanager
async def running_server(storage: Storage, workspace_dir: Path,
                         **env: str) -> AsyncIterator[ServerHandle]:
    settings = settings_for(workspace_dir, **env)
    root = str(settings.runtime.workspace)
    workspace = Workspace(id=workspace_id_for(root), root=root)
    running = await within(30, start_server(settings, storage, workspace), "start_server")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield ServerHandle(running, channel, storage, workspace, settings)
    finally:
        await channel.close()
        await within(30, stop_server(running, grace=1.0), "stop_server")


@asynccontextmanager
async def two_servers_on_postgres(dsn: str, workspace_dir: Path, **env: str
                                  ) -> AsyncIterator[tuple[ServerHandle, ServerHandle]]:
    """Two servers over one workspace, each with its own storage on the same PostgreSQL
    database: what two processes sharing it see."""
    from services.storage.postgres.adapter import PostgresStorage

    first_storage, second_storage = PostgresStorage(dsn), PostgresStorage(dsn)
    await first_storage.open()
    await second_storage.open()
    try:
        async with running_server(first_storage, workspace_dir, **env) as first, \
                running_server(second_storage, workspace_dir, **env) as second:
            yield first, second
    finally:
        await first_storage.close()
        await second_storage.close()
