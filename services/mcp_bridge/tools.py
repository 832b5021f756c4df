"""The MCP tools: thin typed functions, each calling one RPC (or the local docs index).

A tool's docstring is its description: it tells a model when to use the tool. Arguments carry
their limits in the input schema; results are models (outputSchema + structuredContent) fitted
to the 50,000-character cap, saying `truncated` and how to continue.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from services.domain import limits
from services.domain.errors import KnowportError
from services.mcp_bridge import from_wire
from services.mcp_bridge.bridge import bridge_of, describe_domain
from services.mcp_bridge.result_cap import decode_cursor, encode_cursor
from services.mcp_bridge.tool_results import (
    AcquireLockResult,
    DocHit,
    FileContextResult,
    IngestJobResult,
    LockState,
    LockStateResult,
    OverviewResult,
    ReadDocResult,
    SearchCodeResult,
    SearchDocsResult,
)

Workspace = Annotated[str, Field(
    max_length=limits.WORKSPACE_BYTES,
    description="Workspace id from get_project_overview; empty for the default")]
WorkspaceId = Annotated[str, Field(min_length=1, max_length=limits.WORKSPACE_BYTES)]
PageToken = Annotated[str, Field(
    max_length=limits.PAGE_TOKEN_BYTES,
    description="next_page_token of the previous call; empty for the first page")]
Language = Annotated[str, Field(min_length=1, max_length=limits.LANGUAGE_BYTES)]
Kind = Literal["function", "method", "class", "interface", "struct", "enum", "module",
               "section", "lines"]
Role = Literal["tests", "docs"]  # knowport.v1.FileRole, read by name by the client


def _cursor(page_token: str, max_size: int = 50) -> tuple[str, int, int | None]:
    """(server page token, hits to skip on that page, page size) from a bridge cursor."""
    if not page_token:
        return "", 0, None
    cursor = decode_cursor(page_token)
    server_token, skip, size = cursor.get("p", ""), cursor.get("s", 0), cursor.get("n")
    if not (isinstance(server_token, str) and isinstance(skip, int) and skip >= 0
            and (size is None or isinstance(size, int) and 1 <= size <= max_size)):
        raise ToolError("INVALID_ARGUMENT: page_token is not one this tool returned; omit it "
                        "to start from the first page")
    return server_token, skip, size


def _continuation(server_token: str, skip: int, shown: int, server_next: str,
                  size: int | None = None):
    """next_page_token for a page whose first `shown` items (after `skip`) were kept."""

    def next_token(kept: int) -> str:
        if kept < shown:  # cut here: the same server page again, further in
            return encode_cursor(p=server_token, s=skip + kept, n=size)
        return encode_cursor(p=server_next, s=0, n=size) if server_next else ""

    return next_token


# --- knowledge --------------------------------------------------------------------------------
async def search_code(
    ctx: Context,
    query: Annotated[str, Field(min_length=1, max_length=limits.QUERY_BYTES,
                                description="What to look for, in words or identifiers")],
    mode: Annotated[Literal["hybrid", "lexical", "semantic"], Field(
        description="hybrid (default) fuses lexical and semantic ranking; lexical matches "
                    "words and identifiers; semantic matches meaning")] = "hybrid",
    path_glob: Annotated[str, Field(max_length=limits.PATH_GLOB_BYTES, description=(
        "Only paths matching this glob, e.g. services/**/*.py"))] = "",
    languages: Annotated[list[Language] | None, Field(max_length=limits.MAX_LANGUAGES, description=(
        "Only these languages, e.g. [\"python\"]"))] = None,
    kinds: Annotated[list[Kind] | None, Field(max_length=limits.MAX_KINDS, description=(
        "Only these kinds of chunk"))] = None,
    exclude: Annotated[list[Role] | None, Field(max_length=2, description=(
        "Leave out test files, documentation, or both (e.g. [\"tests\", \"docs\"]) to "
        "search the implementation only"))] = None,
    page_size: Annotated[int, Field(ge=1, le=limits.SEARCH_PAGE.maximum,
                                    description="Hits per page")] = limits.SEARCH_PAGE.default,
    page_token: PageToken = "",
    workspace: Workspace = "",
    workspaces: Annotated[list[WorkspaceId] | None, Field(
        max_length=limits.MAX_SEARCH_WORKSPACES, description=(
            "Search these workspaces (ids) as one ranking, each hit naming its workspace; "
            "instead of workspace"))] = None,
) -> Annotated[CallToolResult, SearchCodeResult]:
    """Search the indexed code base for functions, classes, methods and doc sections.

    Use this first when you need to find where something is implemented or explained and do
    not know the file: it ranks chunks by words, identifiers (snake_case and camelCase split)
    and meaning. Each hit gives the path, line span, symbol, a snippet and (when the index
    was enriched) what the chunk does. Follow up with get_file_context on a hit's path and
    lines. Narrow with path_glob, languages or kinds, and leave out tests and docs with
    exclude; page with next_page_token.
    """
    bridge = bridge_of(ctx)
    server_token, skip, size = _cursor(page_token)
    size = size or page_size
    response = await bridge.rpc(
        bridge.client.search, query, mode=mode, page_size=size, page_token=server_token,
        path_glob=path_glob, languages=languages or (),
        kinds=[from_wire.KINDS[k] for k in kinds or ()], exclude_roles=exclude or (),
        workspace="" if workspaces else bridge.workspace_of(workspace),
        workspaces=workspaces or ())
    hits = [from_wire.hit(h) for h in response.hits[skip:]]
    result = SearchCodeResult(
        hits=hits, effective_mode=from_wire.search_mode(response.effective_mode),
        notices=list(response.notices), truncated=response.truncated, next_page_token="")
    result.continue_with(_continuation(server_token, skip, len(hits),
                                       response.next_page_token, size))
    return bridge.fit(result)


async def get_file_context(
    ctx: Context,
    path: Annotated[str, Field(min_length=1, max_length=limits.PATH_BYTES, description=(
        "Workspace-relative path, '/'-separated, e.g. services/cli/__init__.py, or an "
        "absolute path inside the workspace"))],
    start_line: Annotated[int, Field(ge=1, description="First line of text to return")] = 1,
    end_line: Annotated[int, Field(ge=0, description=(
        "Last line of text to return, inclusive; 0 for the end of the file"))] = 0,
    page_token: PageToken = "",
    workspace: Workspace = "",
    start_column: Annotated[int, Field(ge=0, description=(
        "Characters into start_line where the text starts (to continue inside a very long "
        "line: next_start_column); 0 for the line's start"))] = 0,
) -> Annotated[CallToolResult, FileContextResult]:
    """Read one indexed file with what the index knows about it.

    Use this when you know the path (from search_code, get_project_overview or the user) and
    need its text, its symbols with line spans, its chunks and their LLM-written descriptions,
    or the file's summary. Ask for a line range to read a part: only the symbols and chunks
    overlapping it come back (the counts of the others too); when `truncated`, call again
    with start_line=next_start_line and start_column=next_start_column for more text (a
    minified file can be one very long line, read in pieces), or page_token=next_page_token
    for more chunks.
    """
    bridge = bridge_of(ctx)
    server_token, skip, _ = _cursor(page_token)
    r = await bridge.rpc(bridge.client.file_context, path, start_line=start_line,
                         end_line=end_line, page_token=server_token,
                         workspace=bridge.workspace_of(workspace),
                         start_column=start_column)
    chunks = [from_wire.chunk(c) for c in r.chunks[skip:]]
    known_end = max([c.end_line for c in r.chunks] + [s.end_line for s in r.symbols], default=0)
    text_cut = (r.truncated and r.text and r.text_end_line >= start_line
                and (end_line == 0 or r.text_end_line < end_line)
                and (bool(r.next_page_token) or r.text_end_line < known_end))
    result = FileContextResult(
        path=r.path, language=r.language, size_bytes=r.size_bytes, content_hash=r.content_hash,
        summary=r.summary, symbols=[from_wire.symbol(s) for s in r.symbols], chunks=chunks,
        symbols_outside_range=r.symbols_outside_range,
        chunks_outside_range=r.chunks_outside_range,
        text=r.text, text_start_line=r.text_start_line, text_end_line=r.text_end_line,
        text_start_column=r.text_start_column, truncated=r.truncated,
        next_start_line=r.text_end_line + 1 if text_cut else 0,
        next_page_token="", stale=r.stale)
    if r.next_start_column:  # cut inside its last line: the rest of that line comes next
        result.next_start_line, result.next_start_column = r.text_end_line, r.next_start_column
    result.continue_with(_continuation(server_token, skip, len(chunks), r.next_page_token))
    return bridge.fit(result)


async def get_project_overview(
    ctx: Context,
    max_depth: Annotated[int, Field(ge=1, le=limits.OVERVIEW_DEPTH.maximum, description=(
        "Folder levels the layout shows"))] = limits.OVERVIEW_DEPTH.default,
    section: Annotated[Literal["all", "languages", "layout", "key_modules", "entry_points",
                             "symbols"], Field(description=(
        "all, or one list to page through after a cut (see continue_sections)"))] = "all",
    offset: Annotated[int, Field(ge=0, description=(
        "With a section: the first item to return"))] = 0,
    workspace: Workspace = "",
) -> Annotated[CallToolResult, OverviewResult]:
    """Get a map of the project: languages, folder layout, key modules, entry points and the
    most referenced symbols.

    Use this first in an unfamiliar repository, before searching, to learn what it is made
    of and where things live; it also gives the workspace id other tools accept. When a list
    was cut to fit, continue_sections says which, and from which offset to ask again.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.overview, max_depth=max_depth,
                         workspace=bridge.workspace_of(workspace))
    lists = from_wire.overview_lists(r)
    offsets: dict[str, int] = {}
    if section != "all":
        lists = {name: items[offset:] if name == section else []
                 for name, items in lists.items()}
        offsets = {section: offset}
    result = OverviewResult(workspace=r.workspace, root=r.root, truncated=r.truncated,
                            continue_sections={}, **lists)
    return bridge.fit(result.with_offsets(offsets))


# --- the LLM lock -----------------------------------------------------------------------------
async def acquire_llm_lock(
    ctx: Context,
    holder: Annotated[str, Field(min_length=1, max_length=limits.ID_BYTES, description=(
        "Who takes the lock, e.g. your agent's name"))] = "mcp-agent",
    ttl_seconds: Annotated[int, Field(ge=0, le=3600, description=(
        "Lease length in seconds; 0 for the server's default (300). It expires by itself"))] = 0,
    request_id: Annotated[str, Field(max_length=limits.ID_BYTES, description=(
        "Optional idempotency key: a retry with the same key returns the same lease"))] = "",
) -> Annotated[CallToolResult, AcquireLockResult]:
    """Take the shared LLM lock, so the indexer makes no LLM requests while you work.

    Use this before a long stretch of your own work on the LLM this project's indexer shares
    (a local model); release it with release_llm_lock(lease_id) as soon as you are done.
    Someone else holding it is not an error: acquired is false and lock says who holds it and
    until when.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.acquire_llm_lock, holder, ttl_seconds,
                         request_id=request_id)
    return bridge.fit(AcquireLockResult(acquired=r.acquired, lease_id=r.lease_id,
                                        lock=from_wire.lock(r.lock)))


async def renew_llm_lock(
    ctx: Context,
    lease_id: Annotated[str, Field(min_length=1, max_length=limits.ID_BYTES, description=(
        "lease_id from acquire_llm_lock"))],
    ttl_seconds: Annotated[int, Field(ge=0, le=3600, description=(
        "New lease length from now; 0 for the server's default"))] = 0,
) -> Annotated[CallToolResult, LockStateResult]:
    """Extend your LLM lock lease before it expires, when your work takes longer than planned.

    Fails with FAILED_PRECONDITION when the lease already expired or was released.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.renew_llm_lock, lease_id, ttl_seconds)
    return bridge.fit(LockStateResult(lock=from_wire.lock(r.lock)))


async def release_llm_lock(
    ctx: Context,
    lease_id: Annotated[str, Field(min_length=1, max_length=limits.ID_BYTES, description=(
        "lease_id from acquire_llm_lock"))],
) -> Annotated[CallToolResult, LockStateResult]:
    """Release the LLM lock you took, so the indexer may use the LLM again.

    Call it as soon as your LLM-heavy work is done. Releasing twice is fine.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.release_llm_lock, lease_id)
    return bridge.fit(LockStateResult(lock=from_wire.lock(r.lock)))


async def get_llm_lock_status(ctx: Context) -> Annotated[CallToolResult, LockState]:
    """Check whether the shared LLM lock is held, by whom, and for how long.

    Use this to see why the indexer is paused, or before taking the lock yourself.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.llm_lock_state)
    return bridge.fit(from_wire.lock(r.lock))


# --- ingest -----------------------------------------------------------------------------------
async def start_ingest(
    ctx: Context,
    full: Annotated[bool, Field(description=(
        "Process every file again instead of only changed ones"))] = False,
    request_id: Annotated[str, Field(max_length=limits.ID_BYTES, description=(
        "Optional idempotency key: a retry with the same key returns the same job"))] = "",
    workspace: Workspace = "",
) -> Annotated[CallToolResult, IngestJobResult]:
    """Start indexing the workspace again (or join the ingest already running).

    Use this after files changed a lot, or when search_code results look out of date
    (hits marked stale). It returns at once with the job; follow it with get_ingest_status.
    Only new and changed files are processed unless full is true.
    """
    bridge = bridge_of(ctx)
    r = await bridge.rpc(bridge.client.start_ingest, full=full, request_id=request_id,
                         workspace=bridge.workspace_of(workspace))
    return bridge.fit(IngestJobResult(job=from_wire.job(r.job), joined=r.joined))


async def get_ingest_status(
    ctx: Context,
    job_id: Annotated[str, Field(max_length=limits.ID_BYTES, description=(
        "job_id from start_ingest; empty for the workspace's latest job"))] = "",
    workspace: Workspace = "",
) -> Annotated[CallToolResult, IngestJobResult]:
    """Check an ingest job's state and progress (files per stage and layer, rate, ETA, skips).

    Use this after start_ingest until finished is true, or to see whether the index is
    current. state is queued, running, paused (the LLM lock is held), succeeded, failed or
    cancelled. progress.layers says how far each layer is: a file is searchable by words
    once structure has it; vectors and descriptions follow, and waiting_reason names who
    holds the LLM lock when a layer waits for it.
    """
    bridge = bridge_of(ctx)
    if job_id:
        job = (await bridge.rpc(bridge.client.ingest_job, job_id)).job
    else:
        jobs = (await bridge.rpc(bridge.client.list_ingest_jobs, page_size=1,
                                 workspace=bridge.workspace_of(workspace))).jobs
        if not jobs:
            raise ToolError("NOT_FOUND: no ingest has run in this workspace yet; start one with "
                            "start_ingest")
        job = jobs[0]
    return bridge.fit(IngestJobResult(job=from_wire.job(job)))


# --- docs -------------------------------------------------------------------------------------
async def search_docs(
    ctx: Context,
    query: Annotated[str, Field(min_length=1, max_length=1000, description=(
        'Words to find; "quoted" for an exact phrase, A OR B for either'))],
    mode: Annotated[Literal["and", "or", "phrase"] | None, Field(description=(
        "and: every word; or: any word; phrase: the words in order. Empty: from the query"
    ))] = None,
    limit: Annotated[int, Field(ge=1, le=50, description="Hits per page")] = 20,
    offset: Annotated[int, Field(ge=0, le=100_000, description=(
        "next_offset of the previous call; 0 for the first page"))] = 0,
) -> Annotated[CallToolResult, SearchDocsResult]:
    """Search the workspace's documentation (Markdown, reStructuredText, text files) fast.

    Use this for questions answered by READMEs, design notes, ADRs, guides and changelogs:
    it looks words up in a local index (all words by default; "an exact phrase"; a OR b),
    and if that cannot answer, asks the code index. Each hit has a path, the line of the first
    match and a snippet; read more with read_doc(path, start_line=line). provider says which
    search answered.
    """
    bridge = bridge_of(ctx)
    try:
        answer = await bridge.searcher.search(query, mode, limit, offset)
    except KnowportError as err:  # a malformed query, or no provider could answer
        raise ToolError(describe_domain(err)) from None
    hits = [DocHit(path=h.path, line=h.line, score=h.score, snippet=h.snippet)
            for h in answer.hits]
    result = SearchDocsResult(
        provider=answer.provider, hits=hits,
        skipped=[f"{name}: {why}" for name, why in answer.skipped],
        truncated=answer.truncated, next_offset=answer.next_offset or 0)
    return bridge.fit(result.starting_at(offset))


async def read_doc(
    ctx: Context,
    path: Annotated[str, Field(min_length=1, max_length=limits.PATH_BYTES, description=(
        "Workspace-relative path, e.g. docs/design.md (as search_docs returns it), or an "
        "absolute path inside the workspace"))],
    start_line: Annotated[int, Field(ge=1, description="First line to return, 1-based")] = 1,
    max_chars: Annotated[int, Field(ge=1, le=24_000, description=(
        "Most characters of text to return"))] = 20_000,
) -> Annotated[CallToolResult, ReadDocResult]:
    """Read a documentation or text file of the workspace, page by page.

    Use this after search_docs to read a hit in full (start at its line), or to read a file
    you know the path of. Only files inside the workspace can be read. When truncated, call
    again with start_line=next_start_line.
    """
    bridge = bridge_of(ctx)
    page = await bridge.local(bridge.docs.read, path, start_line, max_chars)
    relative = await bridge.local(bridge.docs.relative_path, path)  # for an absolute path
    lines = page.text.count("\n") + (0 if page.text.endswith("\n") or not page.text else 1)
    result = ReadDocResult(path=relative, text=page.text, start_line=start_line,
                           end_line=start_line + lines - 1, truncated=page.truncated,
                           next_start_line=page.next_start_line or 0)
    return bridge.fit(result)


READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
TOOLS = (
    (search_code, "Search code", READ_ONLY),
    (get_file_context, "Get file context", READ_ONLY),
    (get_project_overview, "Get project overview", READ_ONLY),
    (acquire_llm_lock, "Acquire the LLM lock", ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False,
        open_world_hint=False)),
    (renew_llm_lock, "Renew the LLM lock", ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False)),
    (release_llm_lock, "Release the LLM lock", ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False)),
    (get_llm_lock_status, "Get LLM lock status", READ_ONLY),
    (start_ingest, "Start ingest", ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False,
        open_world_hint=False)),
    (get_ingest_status, "Get ingest status", READ_ONLY),
    (search_docs, "Search docs", READ_ONLY),
    (read_doc, "Read doc", READ_ONLY),
)
