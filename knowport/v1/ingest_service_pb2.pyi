import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IngestMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGEST_MODE_UNSPECIFIED: _ClassVar[IngestMode]
    INGEST_MODE_INCREMENTAL: _ClassVar[IngestMode]
    INGEST_MODE_FULL: _ClassVar[IngestMode]

class IngestJobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGEST_JOB_STATE_UNSPECIFIED: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_QUEUED: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_RUNNING: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_PAUSED: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_SUCCEEDED: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_FAILED: _ClassVar[IngestJobState]
    INGEST_JOB_STATE_CANCELLED: _ClassVar[IngestJobState]
INGEST_MODE_UNSPECIFIED: IngestMode
INGEST_MODE_INCREMENTAL: IngestMode
INGEST_MODE_FULL: IngestMode
INGEST_JOB_STATE_UNSPECIFIED: IngestJobState
INGEST_JOB_STATE_QUEUED: IngestJobState
INGEST_JOB_STATE_RUNNING: IngestJobState
INGEST_JOB_STATE_PAUSED: IngestJobState
INGEST_JOB_STATE_SUCCEEDED: IngestJobState
INGEST_JOB_STATE_FAILED: IngestJobState
INGEST_JOB_STATE_CANCELLED: IngestJobState

class IngestProgress(_message.Message):
    __slots__ = ("files_total", "files_scanned", "files_parsed", "files_enriched", "files_embedded", "files_persisted", "files_skipped", "files_unchanged", "files_deleted", "chunks_persisted", "current_file", "files_per_second", "eta_seconds", "paused_reason", "files_failed", "layers")
    FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FILES_SCANNED_FIELD_NUMBER: _ClassVar[int]
    FILES_PARSED_FIELD_NUMBER: _ClassVar[int]
    FILES_ENRICHED_FIELD_NUMBER: _ClassVar[int]
    FILES_EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    FILES_PERSISTED_FIELD_NUMBER: _ClassVar[int]
    FILES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FILES_UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    FILES_DELETED_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_PERSISTED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FILE_FIELD_NUMBER: _ClassVar[int]
    FILES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_REASON_FIELD_NUMBER: _ClassVar[int]
    FILES_FAILED_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    files_total: int
    files_scanned: int
    files_parsed: int
    files_enriched: int
    files_embedded: int
    files_persisted: int
    files_skipped: int
    files_unchanged: int
    files_deleted: int
    chunks_persisted: int
    current_file: str
    files_per_second: float
    eta_seconds: float
    paused_reason: str
    files_failed: int
    layers: _containers.RepeatedCompositeFieldContainer[LayerProgress]
    def __init__(self, files_total: _Optional[int] = ..., files_scanned: _Optional[int] = ..., files_parsed: _Optional[int] = ..., files_enriched: _Optional[int] = ..., files_embedded: _Optional[int] = ..., files_persisted: _Optional[int] = ..., files_skipped: _Optional[int] = ..., files_unchanged: _Optional[int] = ..., files_deleted: _Optional[int] = ..., chunks_persisted: _Optional[int] = ..., current_file: _Optional[str] = ..., files_per_second: _Optional[float] = ..., eta_seconds: _Optional[float] = ..., paused_reason: _Optional[str] = ..., files_failed: _Optional[int] = ..., layers: _Optional[_Iterable[_Union[LayerProgress, _Mapping]]] = ...) -> None: ...

class LayerProgress(_message.Message):
    __slots__ = ("layer", "files_done", "files_total", "files_failed", "files_per_second", "eta_seconds", "waiting_reason")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    FILES_DONE_FIELD_NUMBER: _ClassVar[int]
    FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FILES_FAILED_FIELD_NUMBER: _ClassVar[int]
    FILES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WAITING_REASON_FIELD_NUMBER: _ClassVar[int]
    layer: str
    files_done: int
    files_total: int
    files_failed: int
    files_per_second: float
    eta_seconds: float
    waiting_reason: str
    def __init__(self, layer: _Optional[str] = ..., files_done: _Optional[int] = ..., files_total: _Optional[int] = ..., files_failed: _Optional[int] = ..., files_per_second: _Optional[float] = ..., eta_seconds: _Optional[float] = ..., waiting_reason: _Optional[str] = ...) -> None: ...

class SkippedFile(_message.Message):
    __slots__ = ("path", "reason")
    PATH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    path: str
    reason: str
    def __init__(self, path: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IngestJob(_message.Message):
    __slots__ = ("job_id", "workspace", "mode", "state", "request_id", "create_time", "finish_time", "progress", "skipped_files", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FILES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    workspace: str
    mode: IngestMode
    state: IngestJobState
    request_id: str
    create_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    progress: IngestProgress
    skipped_files: _containers.RepeatedCompositeFieldContainer[SkippedFile]
    message: str
    def __init__(self, job_id: _Optional[str] = ..., workspace: _Optional[str] = ..., mode: _Optional[_Union[IngestMode, str]] = ..., state: _Optional[_Union[IngestJobState, str]] = ..., request_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[IngestProgress, _Mapping]] = ..., skipped_files: _Optional[_Iterable[_Union[SkippedFile, _Mapping]]] = ..., message: _Optional[str] = ...) -> None: ...

class StartIngestRequest(_message.Message):
    __slots__ = ("workspace", "mode", "request_id", "paths")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    mode: IngestMode
    request_id: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace: _Optional[str] = ..., mode: _Optional[_Union[IngestMode, str]] = ..., request_id: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class StartIngestResponse(_message.Message):
    __slots__ = ("job", "joined")
    JOB_FIELD_NUMBER: _ClassVar[int]
    JOINED_FIELD_NUMBER: _ClassVar[int]
    job: IngestJob
    joined: bool
    def __init__(self, job: _Optional[_Union[IngestJob, _Mapping]] = ..., joined: _Optional[bool] = ...) -> None: ...

class GetIngestJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetIngestJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: IngestJob
    def __init__(self, job: _Optional[_Union[IngestJob, _Mapping]] = ...) -> None: ...

class ListIngestJobsRequest(_message.Message):
    __slots__ = ("workspace", "page_size", "page_token")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    page_size: int
    page_token: str
    def __init__(self, workspace: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIngestJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[IngestJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[IngestJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchIngestJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchIngestJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: IngestJob
    def __init__(self, job: _Optional[_Union[IngestJob, _Mapping]] = ...) -> None: ...

class CancelIngestJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelIngestJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: IngestJob
    def __init__(self, job: _Optional[_Union[IngestJob, _Mapping]] = ...) -> None: ...

class ListSkippedFilesRequest(_message.Message):
    __slots__ = ("job_id", "page_size", "page_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSkippedFilesResponse(_message.Message):
    __slots__ = ("skipped_files", "next_page_token")
    SKIPPED_FILES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    skipped_files: _containers.RepeatedCompositeFieldContainer[SkippedFile]
    next_page_token: str
    def __init__(self, skipped_files: _Optional[_Iterable[_Union[SkippedFile, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ("workspace",)
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    def __init__(self, workspace: _Optional[str] = ...) -> None: ...

class LanguageCount(_message.Message):
    __slots__ = ("language", "files")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    language: str
    files: int
    def __init__(self, language: _Optional[str] = ..., files: _Optional[int] = ...) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("workspace", "storage_backend", "files", "chunks", "enriched_chunks", "embedded_chunks", "total_bytes", "languages", "layers")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    STORAGE_BACKEND_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    ENRICHED_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDED_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    storage_backend: str
    files: int
    chunks: int
    enriched_chunks: int
    embedded_chunks: int
    total_bytes: int
    languages: _containers.RepeatedCompositeFieldContainer[LanguageCount]
    layers: _containers.RepeatedCompositeFieldContainer[LayerProgress]
    def __init__(self, workspace: _Optional[str] = ..., storage_backend: _Optional[str] = ..., files: _Optional[int] = ..., chunks: _Optional[int] = ..., enriched_chunks: _Optional[int] = ..., embedded_chunks: _Optional[int] = ..., total_bytes: _Optional[int] = ..., languages: _Optional[_Iterable[_Union[LanguageCount, _Mapping]]] = ..., layers: _Optional[_Iterable[_Union[LayerProgress, _Mapping]]] = ...) -> None: ...
