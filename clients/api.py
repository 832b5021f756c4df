"""Every RPC of knowport.v1, written once for both clients.

Each method builds its request and hands it to `_unary` / `_stream`, which the sync client
implements with blocking calls and the async client with awaitables and async iterators.
Results are the generated response messages (typed by the .pyi stubs next to them), seen
through clients.results.Result so that enum fields read and print by name.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc

from clients import enums
from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import (
    ingest_service_pb2_grpc,
    knowledge_service_pb2_grpc,
    lock_service_pb2_grpc,
    workspace_service_pb2_grpc,
)
from knowport.v1 import knowledge_service_pb2 as kpb
from knowport.v1 import lock_service_pb2 as lpb
from knowport.v1 import workspace_service_pb2 as wpb


def make_stubs(channel) -> dict[str, Any]:
    return {"ingest": ingest_service_pb2_grpc.IngestServiceStub(channel),
            "lock": lock_service_pb2_grpc.LockServiceStub(channel),
            "knowledge": knowledge_service_pb2_grpc.KnowledgeServiceStub(channel),
            "workspace": workspace_service_pb2_grpc.WorkspaceServiceStub(channel),
            "health": health_pb2_grpc.HealthStub(channel)}


class Api(abc.ABC):
    """The RPCs. Subclasses define `_unary(service, method, request)` and `_stream(...)`."""

    @abc.abstractmethod
    def _unary(self, service: str, method: str, request: Any) -> Any:
        """One request, one response: a value (sync client) or an awaitable (async)."""

    @abc.abstractmethod
    def _stream(self, service: str, method: str, request: Any) -> Any:
        """One request, a stream of responses: an iterator or an async iterator."""

    # --- knowledge --------------------------------------------------------------------
    def search(self, query: str, *, mode: str | int = "hybrid", page_size: int = 0,
               page_token: str = "", path_glob: str = "", languages: Iterable[str] | str = (),
               kinds: Iterable[str | int] | str | int = (), workspace: str = "",
               exclude_roles: Iterable[str | int] | str | int = (),
               workspaces: Iterable[str] = ()):
        """SearchResponse: hits best first, next_page_token, effective_mode, notices.

        `workspaces=["a-1234", "b-5678"]` ranks across several workspaces (each hit names
        its `workspace`); with neither it and `workspace`, the server's default.

        `mode`, `kinds` and `exclude_roles` take names in any case ("lexical", "FUNCTION",
        "SYMBOL_KIND_CLASS", "tests"), enums.SearchMode / SymbolKind / FileRole members or
        numbers; an unknown name raises ValueError listing the valid ones.
        `exclude_roles=["tests", "docs"]` searches the implementation only."""
        return self._unary("knowledge", "Search", kpb.SearchRequest(
            workspace=workspace, query=query, page_size=page_size, page_token=page_token,
            workspaces=list(workspaces), mode=enums.parse(enums.SearchMode, mode, "mode"),
            filter=kpb.SearchFilter(
                path_glob=path_glob,
                languages=[languages] if isinstance(languages, str) else list(languages),
                kinds=enums.parse_all(enums.SymbolKind, kinds, "kind"),
                exclude_roles=enums.parse_all(enums.FileRole, exclude_roles, "role"))))

    def file_context(self, path: str, *, start_line: int = 0, end_line: int = 0,
                     page_token: str = "", workspace: str = "", start_column: int = 0):
        """GetFileContextResponse: language, summary, symbols, chunks and text of one file
        (from character `start_column` of `start_line`, to continue inside a long line)."""
        return self._unary("knowledge", "GetFileContext", kpb.GetFileContextRequest(
            workspace=workspace, path=path, start_line=start_line, end_line=end_line,
            page_token=page_token, start_column=start_column))

    def overview(self, *, max_depth: int = 0, workspace: str = ""):
        """GetOverviewResponse: languages, layout, key modules, entry points, symbols."""
        return self._unary("knowledge", "GetOverview",
                           kpb.GetOverviewRequest(workspace=workspace, max_depth=max_depth))

    # --- the symbol graph --------------------------------------------------------------
    def find_symbols(self, *, name: str = "", prefix: str = "", qualified_name: str = "",
                     kinds: Iterable[str | int] | str | int = (), path_glob: str = "",
                     page_size: int = 0, page_token: str = "", workspace: str = ""):
        """FindSymbolsResponse: definitions by exact `name`, name `prefix` or
        `qualified_name` (give one), ordered by path and line."""
        return self._unary("knowledge", "FindSymbols", kpb.FindSymbolsRequest(
            workspace=workspace, name=name, prefix=prefix, qualified_name=qualified_name,
            kinds=enums.parse_all(enums.SymbolKind, kinds, "kind"), path_glob=path_glob,
            page_size=page_size, page_token=page_token))

    def find_references(self, *, name: str = "", qualified_name: str = "", path: str = "",
                        reference_kinds: Iterable[str | int] | str | int = (),
                        page_size: int = 0, page_token: str = "", workspace: str = ""):
        """FindReferencesResponse: uses of a bare `name`, or of the definition
        `qualified_name` in `path`, grouped by file, each resolved or ambiguous."""
        return self._unary("knowledge", "FindReferences", kpb.FindReferencesRequest(
            workspace=workspace, name=name, qualified_name=qualified_name, path=path,
            reference_kinds=enums.parse_all(enums.ReferenceKind, reference_kinds,
                                            "reference kind"),
            page_size=page_size, page_token=page_token))

    def call_graph(self, qualified_name: str, path: str, *, direction: str | int = "callers",
                   depth: int = 0, max_nodes: int = 0, workspace: str = ""):
        """GetCallGraphResponse: nodes (the root first) and edges (indexes into nodes) of
        the callers or callees of a definition."""
        return self._unary("knowledge", "GetCallGraph", kpb.GetCallGraphRequest(
            workspace=workspace, qualified_name=qualified_name, path=path,
            direction=enums.parse(enums.CallDirection, direction, "direction"), depth=depth,
            max_nodes=max_nodes))

    def impact(self, path: str, *, start_line: int = 0, end_line: int = 0, page_size: int = 0,
               page_token: str = "", workspace: str = ""):
        """GetImpactResponse: what the file (or line span) defines and the uses of it
        elsewhere."""
        return self._unary("knowledge", "GetImpact", kpb.GetImpactRequest(
            workspace=workspace, path=path, start_line=start_line, end_line=end_line,
            page_size=page_size, page_token=page_token))

    # --- workspaces -------------------------------------------------------------------
    def create_workspace(self, root: str, *, display_name: str = ""):
        """CreateWorkspaceResponse: the workspace of `root` (an absolute path on the server),
        and `created` (False when the root was registered already)."""
        return self._unary("workspace", "CreateWorkspace", wpb.CreateWorkspaceRequest(
            root=root, display_name=display_name))

    def get_workspace(self, workspace: str = ""):
        """GetWorkspaceResponse; empty: the server's default workspace."""
        return self._unary("workspace", "GetWorkspace",
                           wpb.GetWorkspaceRequest(workspace=workspace))

    def list_workspaces(self, *, page_size: int = 0, page_token: str = ""):
        return self._unary("workspace", "ListWorkspaces", wpb.ListWorkspacesRequest(
            page_size=page_size, page_token=page_token))

    def delete_workspace(self, workspace: str):
        """DeleteWorkspaceResponse: its jobs cancelled, its index removed (not its files)."""
        return self._unary("workspace", "DeleteWorkspace",
                           wpb.DeleteWorkspaceRequest(workspace=workspace))

    # --- ingest -----------------------------------------------------------------------
    def start_ingest(self, *, full: bool = False, request_id: str = "", workspace: str = "",
                     paths: Sequence[str] = ()):
        """StartIngestResponse. A request id is generated when none is given, so the
        client's own retries never start a second job. `paths`: only those files (relative
        to the workspace, or absolute inside it)."""
        return self._unary("ingest", "StartIngest", ipb.StartIngestRequest(
            workspace=workspace, request_id=request_id or uuid.uuid4().hex, paths=paths,
            mode=ipb.INGEST_MODE_FULL if full else ipb.INGEST_MODE_INCREMENTAL))

    def ingest_job(self, job_id: str):
        return self._unary("ingest", "GetIngestJob", ipb.GetIngestJobRequest(job_id=job_id))

    def list_ingest_jobs(self, *, page_size: int = 0, page_token: str = "",
                         workspace: str = ""):
        return self._unary("ingest", "ListIngestJobs", ipb.ListIngestJobsRequest(
            workspace=workspace, page_size=page_size, page_token=page_token))

    def watch_ingest(self, job_id: str):
        """Stream of WatchIngestJobResponse until the job finishes (no deadline)."""
        return self._stream("ingest", "WatchIngestJob",
                            ipb.WatchIngestJobRequest(job_id=job_id))

    def cancel_ingest(self, job_id: str):
        return self._unary("ingest", "CancelIngestJob",
                           ipb.CancelIngestJobRequest(job_id=job_id))

    def stats(self, *, workspace: str = ""):
        return self._unary("ingest", "GetStats", ipb.GetStatsRequest(workspace=workspace))

    # --- the LLM lock -----------------------------------------------------------------
    def acquire_llm_lock(self, holder: str, ttl_seconds: int = 0, *, request_id: str = ""):
        """AcquireLlmLockResponse; `acquired` is False (not an error) when someone holds it."""
        return self._unary("lock", "AcquireLlmLock", lpb.AcquireLlmLockRequest(
            holder=holder, ttl_seconds=ttl_seconds, request_id=request_id or uuid.uuid4().hex))

    def renew_llm_lock(self, lease_id: str, ttl_seconds: int = 0):
        return self._unary("lock", "RenewLlmLock",
                           lpb.RenewLlmLockRequest(lease_id=lease_id, ttl_seconds=ttl_seconds))

    def release_llm_lock(self, lease_id: str):
        return self._unary("lock", "ReleaseLlmLock", lpb.ReleaseLlmLockRequest(lease_id=lease_id))

    def llm_lock_state(self):
        return self._unary("lock", "GetLlmLock", lpb.GetLlmLockRequest())

    def watch_llm_lock(self):
        """Stream of WatchLlmLockResponse: the current state, then every change."""
        return self._stream("lock", "WatchLlmLock", lpb.WatchLlmLockRequest())

    def set_llm_lock(self, locked: bool, ttl_seconds: int = 0, holder: str = ""):
        """The seed's simple form."""
        return self._unary("lock", "SetLlmLock", lpb.SetLlmLockRequest(
            locked=locked, ttl_seconds=ttl_seconds, holder=holder))

    # --- health -----------------------------------------------------------------------
    def health(self, service: str = ""):
        return self._unary("health", "Check", health_pb2.HealthCheckRequest(service=service))
