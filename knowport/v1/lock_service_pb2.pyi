import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LlmLock(_message.Message):
    __slots__ = ("locked", "holder", "fencing_token", "expire_time", "remaining_ms")
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REMAINING_MS_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    holder: str
    fencing_token: int
    expire_time: _timestamp_pb2.Timestamp
    remaining_ms: int
    def __init__(self, locked: _Optional[bool] = ..., holder: _Optional[str] = ..., fencing_token: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., remaining_ms: _Optional[int] = ...) -> None: ...

class AcquireLlmLockRequest(_message.Message):
    __slots__ = ("holder", "ttl_seconds", "request_id")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    holder: str
    ttl_seconds: int
    request_id: str
    def __init__(self, holder: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcquireLlmLockResponse(_message.Message):
    __slots__ = ("acquired", "lease_id", "lock")
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCK_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    lease_id: str
    lock: LlmLock
    def __init__(self, acquired: _Optional[bool] = ..., lease_id: _Optional[str] = ..., lock: _Optional[_Union[LlmLock, _Mapping]] = ...) -> None: ...

class RenewLlmLockRequest(_message.Message):
    __slots__ = ("lease_id", "ttl_seconds")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    ttl_seconds: int
    def __init__(self, lease_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class RenewLlmLockResponse(_message.Message):
    __slots__ = ("lock",)
    LOCK_FIELD_NUMBER: _ClassVar[int]
    lock: LlmLock
    def __init__(self, lock: _Optional[_Union[LlmLock, _Mapping]] = ...) -> None: ...

class ReleaseLlmLockRequest(_message.Message):
    __slots__ = ("lease_id",)
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    def __init__(self, lease_id: _Optional[str] = ...) -> None: ...

class ReleaseLlmLockResponse(_message.Message):
    __slots__ = ("lock",)
    LOCK_FIELD_NUMBER: _ClassVar[int]
    lock: LlmLock
    def __init__(self, lock: _Optional[_Union[LlmLock, _Mapping]] = ...) -> None: ...

class GetLlmLockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLlmLockResponse(_message.Message):
    __slots__ = ("lock",)
    LOCK_FIELD_NUMBER: _ClassVar[int]
    lock: LlmLock
    def __init__(self, lock: _Optional[_Union[LlmLock, _Mapping]] = ...) -> None: ...

class WatchLlmLockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchLlmLockResponse(_message.Message):
    __slots__ = ("lock",)
    LOCK_FIELD_NUMBER: _ClassVar[int]
    lock: LlmLock
    def __init__(self, lock: _Optional[_Union[LlmLock, _Mapping]] = ...) -> None: ...

class SetLlmLockRequest(_message.Message):
    __slots__ = ("locked", "ttl_seconds", "holder")
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    ttl_seconds: int
    holder: str
    def __init__(self, locked: _Optional[bool] = ..., ttl_seconds: _Optional[int] = ..., holder: _Optional[str] = ...) -> None: ...

class SetLlmLockResponse(_message.Message):
    __slots__ = ("lock", "applied")
    LOCK_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    lock: LlmLock
    applied: bool
    def __init__(self, lock: _Optional[_Union[LlmLock, _Mapping]] = ..., applied: _Optional[bool] = ...) -> None: ...
