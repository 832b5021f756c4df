"""knowport.v1 messages → the tools' result models (plain names instead of enum numbers)."""

from __future__ import annotations

from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb
from services.mcp_bridge.symbol_results import (
    CallEdgeView,
    CallGraphResult,
    CallNodeView,
    DefinitionView,
    ReferenceFileView,
    ReferenceView,
)
from services.mcp_bridge.tool_results import (
    CodeHit,
    FileChunkView,
    FileSymbolView,
    IngestJobView,
    IngestProgressView,
    KeyModuleView,
    LanguageView,
    LayerProgressView,
    LayoutView,
    LockState,
    RankedSymbolView,
    SkippedFileView,
    enum_name,
)

KINDS = {enum_name(name, "SYMBOL_KIND_"): value for name, value in kpb.SymbolKind.items()
         if value}
REFERENCE_KINDS = {enum_name(name, "REFERENCE_KIND_"): value
                   for name, value in kpb.ReferenceKind.items() if value}
_FINISHED = {ipb.INGEST_JOB_STATE_SUCCEEDED, ipb.INGEST_JOB_STATE_FAILED,
             ipb.INGEST_JOB_STATE_CANCELLED}


def kind(value: int) -> str:
    return enum_name(kpb.SymbolKind.Name(value), "SYMBOL_KIND_")


def search_mode(value: int) -> str:
    return enum_name(kpb.SearchMode.Name(value), "SEARCH_MODE_")


def timestamp(message, field: str) -> str:
    return getattr(message, field).ToJsonString() if message.HasField(field) else ""


def hit(h: kpb.SearchHit) -> CodeHit:
    return CodeHit(path=h.path, start_line=h.start_line, end_line=h.end_line, symbol=h.symbol,
                   kind=kind(h.kind), language=h.language, score=h.score, snippet=h.snippet,
                   snippet_truncated=h.snippet_truncated, description=h.description,
                   purpose=h.purpose, stale=h.stale, chunk_id=h.chunk_id,
                   snippet_offset=h.snippet_offset, start_column=h.start_column,
                   workspace=h.workspace)


def symbol(s: kpb.FileSymbol) -> FileSymbolView:
    return FileSymbolView(name=s.name, kind=kind(s.kind), start_line=s.start_line,
                          end_line=s.end_line)


def chunk(c: kpb.FileChunk) -> FileChunkView:
    return FileChunkView(chunk_id=c.chunk_id, symbol=c.symbol, kind=kind(c.kind),
                         start_line=c.start_line, end_line=c.end_line,
                         description=c.description, purpose=c.purpose,
                         start_column=c.start_column)


def overview_lists(r: kpb.GetOverviewResponse) -> dict[str, list]:
    return {
        "languages": [LanguageView(language=x.language, files=x.files, bytes=x.bytes)
                      for x in r.languages],
        "layout": [LayoutView(path=x.path, files=x.files, bytes=x.bytes) for x in r.layout],
        "key_modules": [KeyModuleView(path=x.path, purpose=x.purpose) for x in r.key_modules],
        "entry_points": list(r.entry_points),
        "symbols": [RankedSymbolView(name=x.name, kind=kind(x.kind), path=x.path,
                                     start_line=x.start_line, rank=x.rank) for x in r.symbols],
    }


def lock(state) -> LockState:
    return LockState(locked=state.locked, holder=state.holder,
                     fencing_token=state.fencing_token,
                     expire_time=timestamp(state, "expire_time"),
                     remaining_ms=state.remaining_ms)


def job(j: ipb.IngestJob) -> IngestJobView:
    p = j.progress
    return IngestJobView(
        job_id=j.job_id, workspace=j.workspace,
        mode=enum_name(ipb.IngestMode.Name(j.mode), "INGEST_MODE_"),
        state=enum_name(ipb.IngestJobState.Name(j.state), "INGEST_JOB_STATE_"),
        finished=j.state in _FINISHED, create_time=timestamp(j, "create_time"),
        finish_time=timestamp(j, "finish_time"),
        progress=IngestProgressView(
            files_total=p.files_total, files_scanned=p.files_scanned,
            files_parsed=p.files_parsed, files_enriched=p.files_enriched,
            files_embedded=p.files_embedded, files_persisted=p.files_persisted,
            files_skipped=p.files_skipped, files_unchanged=p.files_unchanged,
            files_deleted=p.files_deleted, files_failed=p.files_failed,
            chunks_persisted=p.chunks_persisted, current_file=p.current_file,
            files_per_second=p.files_per_second, eta_seconds=p.eta_seconds,
            paused_reason=p.paused_reason, layers=[layer(x) for x in p.layers]),
        message=j.message,
        skipped_files=[SkippedFileView(path=s.path, reason=s.reason) for s in j.skipped_files])


def layer(x: ipb.LayerProgress) -> LayerProgressView:
    return LayerProgressView(layer=x.layer, files_done=x.files_done, files_total=x.files_total,
                             files_failed=x.files_failed, files_per_second=x.files_per_second,
                             eta_seconds=x.eta_seconds, waiting_reason=x.waiting_reason)


# --- the symbol graph -------------------------------------------------------------------------
def definition(d: kpb.Definition) -> DefinitionView:
    return DefinitionView(name=d.name, qualified_name=d.qualified_name, kind=kind(d.kind),
                          path=d.path, start_line=d.start_line, end_line=d.end_line,
                          signature=d.signature)


def reference_files(files) -> list[ReferenceFileView]:
    return [ReferenceFileView(path=f.path, references=[ReferenceView(
        line=r.line, column=r.column,
        kind=enum_name(kpb.ReferenceKind.Name(r.kind), "REFERENCE_KIND_"), snippet=r.snippet,
        scope=r.scope, resolution=enum_name(kpb.Resolution.Name(r.resolution), "RESOLUTION_"),
        target=definition(r.target) if r.HasField("target") else None,
        candidates=[definition(c) for c in r.candidates]) for r in f.references])
        for f in files]


def call_graph(r: kpb.GetCallGraphResponse) -> CallGraphResult:
    return CallGraphResult(
        nodes=[CallNodeView(**definition(n.definition).model_dump(), depth=n.depth)
               for n in r.nodes],
        edges=[CallEdgeView(caller=e.caller, callee=e.callee, lines=list(e.lines),
                            ambiguous=e.ambiguous) for e in r.edges],
        truncated=r.truncated, unresolved_calls=r.unresolved_calls)
