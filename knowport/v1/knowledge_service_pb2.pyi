from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_MODE_UNSPECIFIED: _ClassVar[SearchMode]
    SEARCH_MODE_LEXICAL: _ClassVar[SearchMode]
    SEARCH_MODE_SEMANTIC: _ClassVar[SearchMode]
    SEARCH_MODE_HYBRID: _ClassVar[SearchMode]

class SymbolKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SYMBOL_KIND_UNSPECIFIED: _ClassVar[SymbolKind]
    SYMBOL_KIND_FUNCTION: _ClassVar[SymbolKind]
    SYMBOL_KIND_METHOD: _ClassVar[SymbolKind]
    SYMBOL_KIND_CLASS: _ClassVar[SymbolKind]
    SYMBOL_KIND_INTERFACE: _ClassVar[SymbolKind]
    SYMBOL_KIND_STRUCT: _ClassVar[SymbolKind]
    SYMBOL_KIND_ENUM: _ClassVar[SymbolKind]
    SYMBOL_KIND_MODULE: _ClassVar[SymbolKind]
    SYMBOL_KIND_SECTION: _ClassVar[SymbolKind]
    SYMBOL_KIND_LINES: _ClassVar[SymbolKind]

class FileRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILE_ROLE_UNSPECIFIED: _ClassVar[FileRole]
    FILE_ROLE_TESTS: _ClassVar[FileRole]
    FILE_ROLE_DOCS: _ClassVar[FileRole]

class ReferenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFERENCE_KIND_UNSPECIFIED: _ClassVar[ReferenceKind]
    REFERENCE_KIND_CALL: _ClassVar[ReferenceKind]
    REFERENCE_KIND_IMPORT: _ClassVar[ReferenceKind]
    REFERENCE_KIND_INHERITANCE: _ClassVar[ReferenceKind]
    REFERENCE_KIND_TYPE: _ClassVar[ReferenceKind]
    REFERENCE_KIND_OTHER: _ClassVar[ReferenceKind]

class Resolution(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOLUTION_UNSPECIFIED: _ClassVar[Resolution]
    RESOLUTION_RESOLVED: _ClassVar[Resolution]
    RESOLUTION_AMBIGUOUS: _ClassVar[Resolution]
    RESOLUTION_UNRESOLVED: _ClassVar[Resolution]

class CallDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_DIRECTION_UNSPECIFIED: _ClassVar[CallDirection]
    CALL_DIRECTION_CALLERS: _ClassVar[CallDirection]
    CALL_DIRECTION_CALLEES: _ClassVar[CallDirection]
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_MODE_LEXICAL: SearchMode
SEARCH_MODE_SEMANTIC: SearchMode
SEARCH_MODE_HYBRID: SearchMode
SYMBOL_KIND_UNSPECIFIED: SymbolKind
SYMBOL_KIND_FUNCTION: SymbolKind
SYMBOL_KIND_METHOD: SymbolKind
SYMBOL_KIND_CLASS: SymbolKind
SYMBOL_KIND_INTERFACE: SymbolKind
SYMBOL_KIND_STRUCT: SymbolKind
SYMBOL_KIND_ENUM: SymbolKind
SYMBOL_KIND_MODULE: SymbolKind
SYMBOL_KIND_SECTION: SymbolKind
SYMBOL_KIND_LINES: SymbolKind
FILE_ROLE_UNSPECIFIED: FileRole
FILE_ROLE_TESTS: FileRole
FILE_ROLE_DOCS: FileRole
REFERENCE_KIND_UNSPECIFIED: ReferenceKind
REFERENCE_KIND_CALL: ReferenceKind
REFERENCE_KIND_IMPORT: ReferenceKind
REFERENCE_KIND_INHERITANCE: ReferenceKind
REFERENCE_KIND_TYPE: ReferenceKind
REFERENCE_KIND_OTHER: ReferenceKind
RESOLUTION_UNSPECIFIED: Resolution
RESOLUTION_RESOLVED: Resolution
RESOLUTION_AMBIGUOUS: Resolution
RESOLUTION_UNRESOLVED: Resolution
CALL_DIRECTION_UNSPECIFIED: CallDirection
CALL_DIRECTION_CALLERS: CallDirection
CALL_DIRECTION_CALLEES: CallDirection

class SearchFilter(_message.Message):
    __slots__ = ("path_glob", "languages", "kinds", "exclude_roles")
    PATH_GLOB_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_ROLES_FIELD_NUMBER: _ClassVar[int]
    path_glob: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    kinds: _containers.RepeatedScalarFieldContainer[SymbolKind]
    exclude_roles: _containers.RepeatedScalarFieldContainer[FileRole]
    def __init__(self, path_glob: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., kinds: _Optional[_Iterable[_Union[SymbolKind, str]]] = ..., exclude_roles: _Optional[_Iterable[_Union[FileRole, str]]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("workspace", "query", "mode", "filter", "page_size", "page_token", "workspaces")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKSPACES_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    query: str
    mode: SearchMode
    filter: SearchFilter
    page_size: int
    page_token: str
    workspaces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace: _Optional[str] = ..., query: _Optional[str] = ..., mode: _Optional[_Union[SearchMode, str]] = ..., filter: _Optional[_Union[SearchFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., workspaces: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("chunk_id", "path", "start_line", "end_line", "symbol", "kind", "language", "score", "snippet", "snippet_truncated", "description", "purpose", "stale", "start_column", "snippet_offset", "workspace")
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_OFFSET_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    chunk_id: str
    path: str
    start_line: int
    end_line: int
    symbol: str
    kind: SymbolKind
    language: str
    score: float
    snippet: str
    snippet_truncated: bool
    description: str
    purpose: str
    stale: bool
    start_column: int
    snippet_offset: int
    workspace: str
    def __init__(self, chunk_id: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., symbol: _Optional[str] = ..., kind: _Optional[_Union[SymbolKind, str]] = ..., language: _Optional[str] = ..., score: _Optional[float] = ..., snippet: _Optional[str] = ..., snippet_truncated: _Optional[bool] = ..., description: _Optional[str] = ..., purpose: _Optional[str] = ..., stale: _Optional[bool] = ..., start_column: _Optional[int] = ..., snippet_offset: _Optional[int] = ..., workspace: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("hits", "next_page_token", "effective_mode", "truncated", "notices", "vector_coverage")
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_MODE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NOTICES_FIELD_NUMBER: _ClassVar[int]
    VECTOR_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    next_page_token: str
    effective_mode: SearchMode
    truncated: bool
    notices: _containers.RepeatedScalarFieldContainer[str]
    vector_coverage: float
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., effective_mode: _Optional[_Union[SearchMode, str]] = ..., truncated: _Optional[bool] = ..., notices: _Optional[_Iterable[str]] = ..., vector_coverage: _Optional[float] = ...) -> None: ...

class GetFileContextRequest(_message.Message):
    __slots__ = ("workspace", "path", "start_line", "end_line", "page_token", "start_column")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    path: str
    start_line: int
    end_line: int
    page_token: str
    start_column: int
    def __init__(self, workspace: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., page_token: _Optional[str] = ..., start_column: _Optional[int] = ...) -> None: ...

class FileSymbol(_message.Message):
    __slots__ = ("name", "kind", "start_line", "end_line")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: SymbolKind
    start_line: int
    end_line: int
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[SymbolKind, str]] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ...) -> None: ...

class FileChunk(_message.Message):
    __slots__ = ("chunk_id", "symbol", "kind", "start_line", "end_line", "description", "purpose", "start_column")
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    chunk_id: str
    symbol: str
    kind: SymbolKind
    start_line: int
    end_line: int
    description: str
    purpose: str
    start_column: int
    def __init__(self, chunk_id: _Optional[str] = ..., symbol: _Optional[str] = ..., kind: _Optional[_Union[SymbolKind, str]] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., description: _Optional[str] = ..., purpose: _Optional[str] = ..., start_column: _Optional[int] = ...) -> None: ...

class GetFileContextResponse(_message.Message):
    __slots__ = ("path", "language", "size_bytes", "content_hash", "summary", "symbols", "chunks", "text", "text_start_line", "text_end_line", "truncated", "next_page_token", "stale", "text_start_column", "next_start_column", "symbols_outside_range", "chunks_outside_range")
    PATH_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_START_LINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_END_LINE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    TEXT_START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    NEXT_START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_OUTSIDE_RANGE_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_OUTSIDE_RANGE_FIELD_NUMBER: _ClassVar[int]
    path: str
    language: str
    size_bytes: int
    content_hash: str
    summary: str
    symbols: _containers.RepeatedCompositeFieldContainer[FileSymbol]
    chunks: _containers.RepeatedCompositeFieldContainer[FileChunk]
    text: str
    text_start_line: int
    text_end_line: int
    truncated: bool
    next_page_token: str
    stale: bool
    text_start_column: int
    next_start_column: int
    symbols_outside_range: int
    chunks_outside_range: int
    def __init__(self, path: _Optional[str] = ..., language: _Optional[str] = ..., size_bytes: _Optional[int] = ..., content_hash: _Optional[str] = ..., summary: _Optional[str] = ..., symbols: _Optional[_Iterable[_Union[FileSymbol, _Mapping]]] = ..., chunks: _Optional[_Iterable[_Union[FileChunk, _Mapping]]] = ..., text: _Optional[str] = ..., text_start_line: _Optional[int] = ..., text_end_line: _Optional[int] = ..., truncated: _Optional[bool] = ..., next_page_token: _Optional[str] = ..., stale: _Optional[bool] = ..., text_start_column: _Optional[int] = ..., next_start_column: _Optional[int] = ..., symbols_outside_range: _Optional[int] = ..., chunks_outside_range: _Optional[int] = ...) -> None: ...

class GetOverviewRequest(_message.Message):
    __slots__ = ("workspace", "max_depth")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    max_depth: int
    def __init__(self, workspace: _Optional[str] = ..., max_depth: _Optional[int] = ...) -> None: ...

class LanguageShare(_message.Message):
    __slots__ = ("language", "files", "bytes")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    language: str
    files: int
    bytes: int
    def __init__(self, language: _Optional[str] = ..., files: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class LayoutEntry(_message.Message):
    __slots__ = ("path", "files", "bytes")
    PATH_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    path: str
    files: int
    bytes: int
    def __init__(self, path: _Optional[str] = ..., files: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class KeyModule(_message.Message):
    __slots__ = ("path", "purpose")
    PATH_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    path: str
    purpose: str
    def __init__(self, path: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class RankedSymbol(_message.Message):
    __slots__ = ("name", "kind", "path", "start_line", "rank")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: SymbolKind
    path: str
    start_line: int
    rank: float
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[SymbolKind, str]] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., rank: _Optional[float] = ...) -> None: ...

class GetOverviewResponse(_message.Message):
    __slots__ = ("workspace", "root", "languages", "layout", "key_modules", "entry_points", "symbols", "truncated")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    KEY_MODULES_FIELD_NUMBER: _ClassVar[int]
    ENTRY_POINTS_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    root: str
    languages: _containers.RepeatedCompositeFieldContainer[LanguageShare]
    layout: _containers.RepeatedCompositeFieldContainer[LayoutEntry]
    key_modules: _containers.RepeatedCompositeFieldContainer[KeyModule]
    entry_points: _containers.RepeatedScalarFieldContainer[str]
    symbols: _containers.RepeatedCompositeFieldContainer[RankedSymbol]
    truncated: bool
    def __init__(self, workspace: _Optional[str] = ..., root: _Optional[str] = ..., languages: _Optional[_Iterable[_Union[LanguageShare, _Mapping]]] = ..., layout: _Optional[_Iterable[_Union[LayoutEntry, _Mapping]]] = ..., key_modules: _Optional[_Iterable[_Union[KeyModule, _Mapping]]] = ..., entry_points: _Optional[_Iterable[str]] = ..., symbols: _Optional[_Iterable[_Union[RankedSymbol, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class Definition(_message.Message):
    __slots__ = ("name", "qualified_name", "kind", "path", "start_line", "end_line", "signature")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    name: str
    qualified_name: str
    kind: SymbolKind
    path: str
    start_line: int
    end_line: int
    signature: str
    def __init__(self, name: _Optional[str] = ..., qualified_name: _Optional[str] = ..., kind: _Optional[_Union[SymbolKind, str]] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., signature: _Optional[str] = ...) -> None: ...

class FindSymbolsRequest(_message.Message):
    __slots__ = ("workspace", "name", "prefix", "qualified_name", "kinds", "path_glob", "page_size", "page_token")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_NAME_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    PATH_GLOB_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    name: str
    prefix: str
    qualified_name: str
    kinds: _containers.RepeatedScalarFieldContainer[SymbolKind]
    path_glob: str
    page_size: int
    page_token: str
    def __init__(self, workspace: _Optional[str] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., qualified_name: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[SymbolKind, str]]] = ..., path_glob: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class FindSymbolsResponse(_message.Message):
    __slots__ = ("definitions", "next_page_token", "truncated")
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    definitions: _containers.RepeatedCompositeFieldContainer[Definition]
    next_page_token: str
    truncated: bool
    def __init__(self, definitions: _Optional[_Iterable[_Union[Definition, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., truncated: _Optional[bool] = ...) -> None: ...

class Reference(_message.Message):
    __slots__ = ("line", "column", "kind", "name", "qualifier", "scope", "snippet", "resolution", "target", "candidates")
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUALIFIER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    line: int
    column: int
    kind: ReferenceKind
    name: str
    qualifier: str
    scope: str
    snippet: str
    resolution: Resolution
    target: Definition
    candidates: _containers.RepeatedCompositeFieldContainer[Definition]
    def __init__(self, line: _Optional[int] = ..., column: _Optional[int] = ..., kind: _Optional[_Union[ReferenceKind, str]] = ..., name: _Optional[str] = ..., qualifier: _Optional[str] = ..., scope: _Optional[str] = ..., snippet: _Optional[str] = ..., resolution: _Optional[_Union[Resolution, str]] = ..., target: _Optional[_Union[Definition, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[Definition, _Mapping]]] = ...) -> None: ...

class ReferenceFile(_message.Message):
    __slots__ = ("path", "references")
    PATH_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    path: str
    references: _containers.RepeatedCompositeFieldContainer[Reference]
    def __init__(self, path: _Optional[str] = ..., references: _Optional[_Iterable[_Union[Reference, _Mapping]]] = ...) -> None: ...

class FindReferencesRequest(_message.Message):
    __slots__ = ("workspace", "name", "qualified_name", "path", "reference_kinds", "page_size", "page_token")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_KINDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    name: str
    qualified_name: str
    path: str
    reference_kinds: _containers.RepeatedScalarFieldContainer[ReferenceKind]
    page_size: int
    page_token: str
    def __init__(self, workspace: _Optional[str] = ..., name: _Optional[str] = ..., qualified_name: _Optional[str] = ..., path: _Optional[str] = ..., reference_kinds: _Optional[_Iterable[_Union[ReferenceKind, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class FindReferencesResponse(_message.Message):
    __slots__ = ("definition", "files", "next_page_token", "truncated", "total_references")
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REFERENCES_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    files: _containers.RepeatedCompositeFieldContainer[ReferenceFile]
    next_page_token: str
    truncated: bool
    total_references: int
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ..., files: _Optional[_Iterable[_Union[ReferenceFile, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., truncated: _Optional[bool] = ..., total_references: _Optional[int] = ...) -> None: ...

class GetCallGraphRequest(_message.Message):
    __slots__ = ("workspace", "qualified_name", "path", "direction", "depth", "max_nodes")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    MAX_NODES_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    qualified_name: str
    path: str
    direction: CallDirection
    depth: int
    max_nodes: int
    def __init__(self, workspace: _Optional[str] = ..., qualified_name: _Optional[str] = ..., path: _Optional[str] = ..., direction: _Optional[_Union[CallDirection, str]] = ..., depth: _Optional[int] = ..., max_nodes: _Optional[int] = ...) -> None: ...

class CallNode(_message.Message):
    __slots__ = ("definition", "depth")
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    depth: int
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ..., depth: _Optional[int] = ...) -> None: ...

class CallEdge(_message.Message):
    __slots__ = ("caller", "callee", "lines", "ambiguous")
    CALLER_FIELD_NUMBER: _ClassVar[int]
    CALLEE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    AMBIGUOUS_FIELD_NUMBER: _ClassVar[int]
    caller: int
    callee: int
    lines: _containers.RepeatedScalarFieldContainer[int]
    ambiguous: bool
    def __init__(self, caller: _Optional[int] = ..., callee: _Optional[int] = ..., lines: _Optional[_Iterable[int]] = ..., ambiguous: _Optional[bool] = ...) -> None: ...

class GetCallGraphResponse(_message.Message):
    __slots__ = ("nodes", "edges", "truncated", "unresolved_calls")
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_CALLS_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[CallNode]
    edges: _containers.RepeatedCompositeFieldContainer[CallEdge]
    truncated: bool
    unresolved_calls: int
    def __init__(self, nodes: _Optional[_Iterable[_Union[CallNode, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[CallEdge, _Mapping]]] = ..., truncated: _Optional[bool] = ..., unresolved_calls: _Optional[int] = ...) -> None: ...

class GetImpactRequest(_message.Message):
    __slots__ = ("workspace", "path", "start_line", "end_line", "page_size", "page_token")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    path: str
    start_line: int
    end_line: int
    page_size: int
    page_token: str
    def __init__(self, workspace: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetImpactResponse(_message.Message):
    __slots__ = ("definitions", "files", "next_page_token", "truncated", "total_references")
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REFERENCES_FIELD_NUMBER: _ClassVar[int]
    definitions: _containers.RepeatedCompositeFieldContainer[Definition]
    files: _containers.RepeatedCompositeFieldContainer[ReferenceFile]
    next_page_token: str
    truncated: bool
    total_references: int
    def __init__(self, definitions: _Optional[_Iterable[_Union[Definition, _Mapping]]] = ..., files: _Optional[_Iterable[_Union[ReferenceFile, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., truncated: _Optional[bool] = ..., total_references: _Optional[int] = ...) -> None: ...
