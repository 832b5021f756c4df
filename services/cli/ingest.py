"""`knowport ingest`: ask the running server to index (following its progress), or, with
--local, run the same pipeline in this process as a one-shot batch."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from google.protobuf.json_format import MessageToDict, MessageToJson

from clients import KnowportClient, KnowportRpcError
from knowport.v1 import ingest_service_pb2 as pb
from services.cli import exit_codes
from services.cli.connect import address_of, client_for, describe_error
from services.cli.progress_bar import ProgressBar
from services.config import Settings
from services.domain.models import Workspace, workspace_id_for

# A job joined while asking for paths need not cover them: start again once it ends.
_TRIES = 3


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.local and args.workspace:
        print("knowport: --local indexes WORKSPACE in this process; --workspace names a "
              "workspace of the running server: use one or the other", file=sys.stderr)
        return exit_codes.USAGE
    # With --workspace the server judges PATHs against that workspace's root.
    paths = args.paths if args.workspace else _workspace_paths(settings, args.paths)
    if args.local:
        from services.domain.errors import InvalidArgument
        from services.workspace_files.pick import relative_path

        try:
            paths = [relative_path(path, str(settings.runtime.workspace)) for path in paths]
        except InvalidArgument as err:
            print(f"knowport: {err.message}", file=sys.stderr)
            return exit_codes.USAGE
        job = asyncio.run(_run_locally(settings, args.full, paths, quiet=args.json))
    else:
        try:
            with client_for(settings) as client:
                job = _run_on_server(client, args.full, args.request_id, quiet=args.json,
                                     workspace=args.workspace, paths=paths)
        except KnowportRpcError as err:
            line = describe_error(err, address_of(settings))
            if err.code.name == "UNAVAILABLE":
                print(f"knowport: {line}, or index in this process with "
                      "`knowport ingest --local`", file=sys.stderr)
                return exit_codes.UNREACHABLE
            print(f"knowport: {line}", file=sys.stderr)
            return exit_codes.FAILED
    return _report(job, as_json=args.json)


def _counts(job: pb.IngestJob) -> dict[str, object]:
    return MessageToDict(job.progress, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=True)


def _workspace_paths(settings: Settings, raw: list[str]) -> list[str]:
    """PATH arguments as the server takes them: one under this directory that lies inside
    WORKSPACE becomes workspace-relative; others go as given (relative to the workspace, or
    absolute), and the server judges them."""
    root = str(settings.runtime.workspace)
    bases = dict.fromkeys((root, os.path.realpath(root)))
    paths = []
    for path in raw:
        here = os.path.abspath(path)
        base = next((b for b in bases if here.startswith(b.rstrip("/") + "/")), None)
        paths.append(os.path.relpath(here, base) if base is not None else path)
    return paths


def _run_on_server(client: KnowportClient, full: bool, request_id: str, *, quiet: bool,
                   workspace: str = "", paths: list[str] | None = None) -> pb.IngestJob:
    paths = paths or []
    bar = None if quiet else ProgressBar()
    for _ in range(_TRIES if paths else 1):
        started = client.start_ingest(full=full, request_id=request_id, paths=paths,
                                     workspace=workspace)
        job = started.job
        if started.joined and bar is not None and not request_id:
            print(f"joining the ingest already running (job {job.job_id})", file=sys.stderr)
        # No deadline on the stream: it follows the job to its end, however long it takes.
        for update in client.watch_ingest(job.job_id):
            job = update.job
            if bar is not None:
                bar.update(_counts(job))
        if not started.joined or request_id:
            break
    if bar is not None:
        bar.close()
    return job


async def _run_locally(settings: Settings, full: bool, paths: list[str], *,
                       quiet: bool) -> pb.IngestJob:
    # The composition pieces the server uses, imported here so `knowport health` stays light.
    from services.domain.models import INTERRUPTED_MESSAGE
    from services.ingestor.assembly import build_ingestion
    from services.ingestor.wire import job_to_proto
    from services.server.backends import open_storage

    runtime = settings.runtime
    runtime.knowport_data_dir.mkdir(parents=True, exist_ok=True)
    root = str(runtime.workspace)
    workspace = Workspace(id=workspace_id_for(root), root=root)
    named = paths or None
    bar = None if quiet else ProgressBar()
    async with open_storage(settings.storage, runtime.knowport_data_dir) as (storage, _):
        await storage.upsert_workspace(workspace)
        ingestion = build_ingestion(settings, storage)
        try:
            while True:
                job, joined = await ingestion.jobs.start(workspace, full=full, paths=named)
                if joined and bar is not None:
                    print(f"an ingest of this workspace is already running (job {job.id}); "
                          "following it", file=sys.stderr)
                async for snapshot in ingestion.jobs.follow(job.id):
                    job = snapshot
                    if bar is not None:
                        bar.update(job.counts)
                # A followed job whose process died ends as interrupted: then take over; one
                # that did not cover the named paths: start again.
                if not (joined and (job.message == INTERRUPTED_MESSAGE or named)):
                    break
        finally:
            await ingestion.close()
    if bar is not None:
        bar.close()
    return job_to_proto(job)


def _report(job: pb.IngestJob, *, as_json: bool) -> int:
    if as_json:
        print(MessageToJson(job, preserving_proto_field_name=True, indent=2))
    else:
        state = pb.IngestJobState.Name(job.state).removeprefix("INGEST_JOB_STATE_").lower()
        print(f"ingest {job.job_id} {state}: {job.message}")
        for skipped in job.skipped_files:
            print(f"  skipped {skipped.path}: {skipped.reason}")
        hidden = job.progress.files_skipped + job.progress.files_failed - len(job.skipped_files)
        if hidden > 0:
            print(f"  ... and {hidden} more (ListSkippedFiles pages through them all)")
    if job.state == pb.INGEST_JOB_STATE_SUCCEEDED:
        return exit_codes.PARTIAL if job.progress.files_failed else exit_codes.OK
    if job.state == pb.INGEST_JOB_STATE_CANCELLED:
        return exit_codes.CANCELLED
    return exit_codes.FAILED
