"""`knowport serve`: storage up, default workspace registered, server started, signals
handled, then an orderly shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal

from services.config import Settings
from services.domain.models import Workspace, workspace_id_for
from services.server.app import start_server, stop_server
from services.server.backends import open_storage

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    runtime = settings.runtime
    runtime.knowport_data_dir.mkdir(parents=True, exist_ok=True)
    root = str(runtime.workspace)
    workspace = Workspace(id=workspace_id_for(root), root=root)
    async with open_storage(settings.storage, runtime.knowport_data_dir) as (storage, where):
        running = await start_server(settings, storage, workspace)
        print(f"knowport serving on {runtime.grpc_host}:{running.port} "
              f"(storage: {where}; workspace {workspace.id} = {root})", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down: health NOT_SERVING, %.1fs grace for in-flight calls",
                 runtime.knowport_shutdown_grace_seconds)
        await stop_server(running, runtime.knowport_shutdown_grace_seconds)
