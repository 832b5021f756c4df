"""`knowport serve`: storage up, default workspace registered, server started, signals
handled, then an orderly shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal

from services.config import Settings
from services.domain.errors import StorageUnavailable
from services.domain.models import Workspace, workspace_id_for
from services.ingestor.jobs import IngestJobs
from services.ingestor.progress import progress_line
from services.server.app import start_server, stop_server
from services.server.backends import open_storage
from services.server.listen_check import check_can_listen

log = logging.getLogger(__name__)

PROGRESS_LOG_SECONDS = 2.0
_background: set[asyncio.Task] = set()  # keeps fire-and-forget tasks referenced


async def serve(settings: Settings) -> None:
    runtime = settings.runtime
    # Before anything starts: a port in use or a bad host is one line and exit 2, not a
    # traceback after the embedded database came up.
    check_can_listen(runtime.grpc_host, runtime.grpc_port)
    if settings.http.knowport_http_port:
        check_can_listen(settings.http.knowport_http_host, settings.http.knowport_http_port)
    # Handlers first: a SIGTERM that arrives while starting still means an orderly stop.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime.knowport_data_dir.mkdir(parents=True, exist_ok=True)
    root = str(runtime.workspace)
    workspace = Workspace(id=workspace_id_for(root), root=root)
    async with open_storage(settings.storage, runtime.knowport_data_dir) as (storage, where):
        running = await start_server(settings, storage, workspace)
        # WORKSPACES: this process's own roots besides the default (those created through
        # WorkspaceService are ingested when asked, by whichever process is asked).
        extra = [w for w in running.workspaces.at_start if w.id != workspace.id]
        if running.ingestion is not None and settings.ingest.knowport_ingest_on_start:
            jobs = running.ingestion.jobs

            async def ingest_all() -> None:
                for each in [workspace, *extra]:
                    await _ingest_on_start(jobs, each)

            await ingest_all()
            running.health.on_recovery.append(ingest_all)  # see HealthMonitor.on_recovery
        address = f"{runtime.grpc_host}:{running.port}"
        print(f"knowport serving on {address} "
              f"(storage: {where}; workspace {workspace.id} = {root})", flush=True)
        for other in extra:
            print(f"  also workspace {other.id} = {other.root}", flush=True)
        print(f"try: grpcurl -plaintext {address} list", flush=True)
        if running.gateway is not None:
            gateway = running.gateway
            host = settings.http.knowport_http_host
            shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
            print(f"knowport HTTP/JSON on {gateway.scheme}://{shown}:{gateway.port} "
                  "(routes: /openapi.json)", flush=True)
        await stop.wait()
        log.info("shutting down: health NOT_SERVING, %.1fs grace for in-flight calls",
                 runtime.knowport_shutdown_grace_seconds)
        await stop_server(running, runtime.knowport_shutdown_grace_seconds)


async def _ingest_on_start(jobs: IngestJobs, workspace: Workspace) -> None:
    """Index a workspace in the background (at start, and again whenever storage answers
    after an outage), its progress in the log."""
    try:
        job, _ = await jobs.start(workspace, full=False)
    except StorageUnavailable as err:
        log.warning("no ingest at start, storage unavailable: %s", err)
        return

    async def report() -> None:
        last = ""
        while (progress := jobs.progress_of(job.id)) is not None:
            line = progress_line(progress.as_counts())
            if line != last:  # an unchanged line says nothing new
                log.info("ingest %s: %s", job.id[:8], line)
                last = line
            await asyncio.sleep(PROGRESS_LOG_SECONDS)

    _background.add(task := asyncio.create_task(report(), name="ingest-progress-log"))
    task.add_done_callback(_background.discard)
