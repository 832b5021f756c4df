"""Conversions between ingest domain records and knowport.v1 messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from knowport.v1 import ingest_service_pb2 as pb
from services.domain.models import IngestJob, JobState, StorageStats

# How many skipped files a job message carries; ListSkippedFiles pages through the rest.
SKIPPED_IN_JOB = 20

_STATES = {
    JobState.QUEUED: pb.INGEST_JOB_STATE_QUEUED,
    JobState.RUNNING: pb.INGEST_JOB_STATE_RUNNING,
    JobState.PAUSED: pb.INGEST_JOB_STATE_PAUSED,
    JobState.SUCCEEDED: pb.INGEST_JOB_STATE_SUCCEEDED,
    JobState.FAILED: pb.INGEST_JOB_STATE_FAILED,
    JobState.CANCELLED: pb.INGEST_JOB_STATE_CANCELLED,
}
_PROGRESS_FIELDS = frozenset(pb.IngestProgress.DESCRIPTOR.fields_by_name)
_LAYER_FIELDS = frozenset(pb.LayerProgress.DESCRIPTOR.fields_by_name)


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def job_to_proto(job: IngestJob) -> pb.IngestJob:
    progress = pb.IngestProgress(
        **{k: v for k, v in job.counts.items() if k in _PROGRESS_FIELDS and k != "layers"},
        layers=[layer_to_proto(layer) for layer in job.counts.get("layers") or ()])
    return pb.IngestJob(
        job_id=job.id,
        workspace=job.workspace_id,
        mode=pb.INGEST_MODE_FULL if job.full else pb.INGEST_MODE_INCREMENTAL,
        state=_STATES[job.state],
        request_id=job.request_id,
        create_time=_timestamp(job.created_at),
        finish_time=_timestamp(job.finished_at),
        progress=progress,
        skipped_files=[pb.SkippedFile(path=p, reason=r) for p, r in job.skipped[:SKIPPED_IN_JOB]],
        message=job.message,
    )


def layer_to_proto(layer: Mapping[str, object]) -> pb.LayerProgress:
    return pb.LayerProgress(**{k: v for k, v in layer.items() if k in _LAYER_FIELDS})


def stats_to_proto(workspace_id: str, backend: str, stats: StorageStats,
                   layers: Sequence[Mapping[str, object]] = ()) -> pb.GetStatsResponse:
    languages = sorted(stats.languages.items(), key=lambda item: (-item[1], item[0]))
    return pb.GetStatsResponse(
        workspace=workspace_id,
        storage_backend=backend,
        files=stats.files,
        chunks=stats.chunks,
        enriched_chunks=stats.enriched_chunks,
        embedded_chunks=stats.embedded_chunks,
        total_bytes=stats.total_bytes,
        languages=[pb.LanguageCount(language=lang, files=n) for lang, n in languages],
        layers=[layer_to_proto(layer) for layer in layers],
    )
