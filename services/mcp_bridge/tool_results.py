"""What the tools return: pydantic models, so the SDK publishes an outputSchema and sends
structuredContent. Each model that can outgrow the cap knows how to cut itself (`shrink`) and
how the caller continues from the cut."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field, PrivateAttr

from services.mcp_bridge.result_cap import cut_lines, keep_count


def enum_name(value_name: str, prefix: str) -> str:
    """`SYMBOL_KIND_FUNCTION` → `function`."""
    return value_name.removeprefix(prefix).lower()


# --- search_code ----------------------------------------------------------------------------
class CodeHit(BaseModel):
    path: str = Field(description="Workspace-relative path")
    workspace: str = Field(default="", description="The workspace the hit is from")
    start_line: int = Field(description="First line of the chunk, 1-based")
    end_line: int = Field(description="Last line of the chunk, inclusive")
    symbol: str = Field(description="Qualified symbol name; empty when none")
    kind: str = Field(description="function, method, class, section, lines, ...")
    language: str
    score: float = Field(description="Relevance within this ranking; higher is better")
    snippet: str = Field(description=(
        "The start of the chunk's text, or a window around the first query term when the "
        "start has none (see snippet_offset)"))
    snippet_offset: int = Field(default=0, description=(
        "Characters into the chunk's text where the snippet begins; 0 at its start"))
    start_column: int = Field(default=0, description=(
        "Characters into start_line where the chunk begins: nonzero for the later pieces of a "
        "very long line (minified code); pass it to get_file_context as start_column"))
    snippet_truncated: bool = Field(
        description="True when the snippet is shorter than the chunk; get_file_context with "
                    "the line span gives all of it")
    description: str = Field(description="What the chunk does (LLM-written); may be empty")
    purpose: str = Field(description="Why the chunk exists (LLM-written); may be empty")
    stale: bool = Field(description="True when the file changed on disk since it was indexed")
    chunk_id: str


class SearchCodeResult(BaseModel):
    hits: list[CodeHit] = Field(description="Best first")
    effective_mode: str = Field(description="The ranking actually used")
    notices: list[str] = Field(description="How the answer was made, e.g. why a mode fell back")
    truncated: bool = Field(description="True when hits or snippets were cut to fit")
    next_page_token: str = Field(
        description="Pass as page_token (same query and filters) for the next hits; empty "
                    "when there are no more")
    _next_token: Callable[[int], str] | None = PrivateAttr(default=None)

    def continue_with(self, next_token: Callable[[int], str]) -> SearchCodeResult:
        self._next_token = next_token
        self.next_page_token = next_token(len(self.hits))
        return self

    def shrink(self, ratio: float) -> bool:
        if len(self.hits) > 1:
            del self.hits[max(1, keep_count(len(self.hits), ratio)):]
            self.next_page_token = self._next_token(len(self.hits)) if self._next_token else ""
        elif self.hits and len(self.hits[0].snippet) > 200:
            hit = self.hits[0]
            hit.snippet = cut_lines(hit.snippet, ratio)
            hit.snippet_truncated = True
        else:
            return False
        self.truncated = True
        return True


# --- get_file_context -----------------------------------------------------------------------
class FileSymbolView(BaseModel):
    name: str
    kind: str
    start_line: int
    end_line: int


class FileChunkView(BaseModel):
    chunk_id: str
    symbol: str
    kind: str
    start_line: int
    end_line: int
    description: str
    purpose: str
    start_column: int = Field(default=0, description=(
        "Characters into start_line where the chunk begins; nonzero for the later pieces of "
        "a very long line"))


class FileContextResult(BaseModel):
    path: str
    language: str
    size_bytes: int
    content_hash: str
    summary: str = Field(description="LLM-written summary of the file; may be empty")
    symbols: list[FileSymbolView] = Field(description=(
        "Symbols in line order; with a line range, only those overlapping it"))
    chunks: list[FileChunkView] = Field(description=(
        "Chunks in line order (one page of them); with a line range, only those overlapping it"))
    symbols_outside_range: int = Field(default=0, description=(
        "With a line range: the file's other symbols, left out (ask without a range for all)"))
    chunks_outside_range: int = Field(default=0, description=(
        "With a line range: the file's other chunks, left out"))
    text: str = Field(description="The file's text from text_start_line to text_end_line")
    text_start_line: int = Field(description="First line in text; 0 when text is empty")
    text_end_line: int = Field(description="Last line in text; 0 when text is empty")
    text_start_column: int = Field(default=0, description=(
        "Characters into text_start_line where text begins (the start_column asked for)"))
    truncated: bool = Field(description="True when text, chunks or symbols were cut")
    next_start_line: int = Field(
        description="Call again with start_line=this (and start_column=next_start_column) "
                    "for more text (past the end of the file it returns no text); 0 when the "
                    "text asked for is complete")
    next_start_column: int = Field(default=0, description=(
        "When text ends inside a line too long for one result, the characters into that "
        "line (next_start_line) where the rest begins; pass it as start_column. 0 otherwise"))
    next_page_token: str = Field(
        description="Call again with page_token=this for more chunks; empty when all came")
    stale: bool = Field(description="True when the file changed on disk since it was indexed")
    notices: list[str] = Field(default_factory=list)
    _next_token: Callable[[int], str] | None = PrivateAttr(default=None)
    _symbols_total: int = PrivateAttr(default=0)

    def continue_with(self, next_token: Callable[[int], str]) -> FileContextResult:
        self._next_token = next_token
        self._symbols_total = len(self.symbols)
        self.next_page_token = next_token(len(self.chunks))
        return self

    def shrink(self, ratio: float) -> bool:
        # The text is what a reader came for: the chunk list (it has its own pages) and the
        # symbols go first, the text last (start_line continues it exactly).
        if len(self.chunks) > 1:  # at least one stays, so paging always moves on
            del self.chunks[max(1, keep_count(len(self.chunks), ratio)):]
            self.next_page_token = (self._next_token(len(self.chunks)) if self._next_token
                                    else "")
        elif len(self.symbols) > 1:
            del self.symbols[max(1, keep_count(len(self.symbols), ratio)):]
            self.notices = [n for n in self.notices if not n.startswith("symbols cut")]
            self.notices.append(f"symbols cut to {len(self.symbols)} of {self._symbols_total}; "
                                "the chunk pages list every symbol with its lines")
        elif len(self.summary) > 200:
            self.summary = cut_lines(self.summary, ratio)
        elif len(self.text) > 1:
            self._cut_text(cut_lines(self.text, ratio) or self.text[:1])
        else:
            return False
        self.truncated = True
        return True


    def _cut_text(self, kept: str) -> None:
        """Keep `kept`, a prefix of the text, and say where the next call continues: the line
        after it, or inside its last line when that was cut (start_column counts from the
        line's start, so it adds to where this text began when it began inside the line)."""
        self.text = kept
        newlines = kept.count("\n")
        self.text_end_line = self.text_start_line + newlines - (1 if kept.endswith("\n") else 0)
        if kept.endswith("\n"):
            self.next_start_line, self.next_start_column = self.text_end_line + 1, 0
            return
        line_start = self.text_start_column if newlines == 0 else 0
        self.next_start_line = self.text_end_line
        self.next_start_column = line_start + len(kept) - (kept.rfind("\n") + 1)


# --- get_project_overview -------------------------------------------------------------------
# Cut first what matters least to a first look at a project.
_CUT_ORDER = ("symbols", "layout", "key_modules", "entry_points", "languages")


class LanguageView(BaseModel):
    language: str
    files: int
    bytes: int


class LayoutView(BaseModel):
    path: str = Field(description="Folder, '.' for the root")
    files: int
    bytes: int


class KeyModuleView(BaseModel):
    path: str
    purpose: str


class RankedSymbolView(BaseModel):
    name: str
    kind: str
    path: str
    start_line: int
    rank: float = Field(description="Importance in [0, 1]")


class OverviewResult(BaseModel):
    workspace: str = Field(description="The workspace id, usable in every other tool")
    root: str = Field(description="Absolute path of the workspace root on the server")
    languages: list[LanguageView]
    layout: list[LayoutView]
    key_modules: list[KeyModuleView]
    entry_points: list[str]
    symbols: list[RankedSymbolView] = Field(description="Most referenced symbols first")
    truncated: bool = Field(description="True when any list was cut")
    continue_sections: dict[str, int] = Field(
        description="Lists that were cut: call again with section=<key> and offset=<value> for "
                    "the rest of that list")
    _offsets: dict[str, int] = PrivateAttr(default_factory=dict)

    def with_offsets(self, offsets: dict[str, int]) -> OverviewResult:
        self._offsets = offsets
        return self

    def shrink(self, ratio: float) -> bool:
        for name in _CUT_ORDER:
            items = getattr(self, name)
            if len(items) > 1:
                del items[max(1, keep_count(len(items), ratio)):]
                self.continue_sections[name] = self._offsets.get(name, 0) + len(items)
                self.truncated = True
                return True
        return False


# --- the LLM lock ---------------------------------------------------------------------------
class LockState(BaseModel):
    locked: bool = Field(description="True while someone holds the lock")
    holder: str = Field(description="Who holds it; empty when free")
    fencing_token: int = Field(description="Grows with every new lease")
    expire_time: str = Field(description="RFC 3339 expiry of the live lease; empty when free")
    remaining_ms: int = Field(description="Milliseconds until expiry; 0 when free")


class AcquireLockResult(BaseModel):
    acquired: bool = Field(description="True when this call took the lock")
    lease_id: str = Field(
        description="Keep it: release_llm_lock and renew_llm_lock need it; empty when not "
                    "acquired")
    lock: LockState = Field(description="Your new lease, or who holds the lock and until when")


class LockStateResult(BaseModel):
    lock: LockState


# --- ingest ---------------------------------------------------------------------------------
class LayerProgressView(BaseModel):
    layer: str = Field(description="structure (searchable by words and file context), vectors "
                                   "(by meaning), or descriptions (LLM summaries)")
    files_done: int = Field(description="Files this job gave the layer")
    files_total: int = Field(description="Files that are to have it in this job")
    files_failed: int = Field(description="Files whose layer failed; the next ingest retries")
    files_per_second: float = Field(description="Recent rate; 0 when idle")
    eta_seconds: float = Field(description="Until the layer is complete; negative when unknown")
    waiting_reason: str = Field(description="Why the layer waits (who holds the LLM lock, and "
                                            "until when); empty when it does not")


class IngestProgressView(BaseModel):
    files_total: int
    files_scanned: int
    files_parsed: int
    files_enriched: int
    files_embedded: int
    files_persisted: int
    files_skipped: int
    files_unchanged: int
    files_deleted: int
    files_failed: int
    chunks_persisted: int
    current_file: str
    files_per_second: float
    eta_seconds: float = Field(description="Negative when unknown")
    paused_reason: str = Field(description="Why the job waits (the LLM lock); empty otherwise")
    layers: list[LayerProgressView] = Field(
        description="Each layer of the index, in order: files are searchable by words once "
                    "structure has them, while vectors and descriptions may still be coming")


class SkippedFileView(BaseModel):
    path: str
    reason: str


class IngestJobView(BaseModel):
    job_id: str
    workspace: str
    mode: str = Field(description="incremental or full")
    state: str = Field(description="queued, running, paused, succeeded, failed or cancelled")
    finished: bool = Field(description="True once the job stopped (any final state)")
    create_time: str
    finish_time: str = Field(description="Empty while the job runs")
    progress: IngestProgressView
    message: str = Field(description="The error of a failed job, or which stages were skipped")
    skipped_files: list[SkippedFileView] = Field(description="The first skipped files")


class IngestJobResult(BaseModel):
    job: IngestJobView
    joined: bool = Field(
        default=False,
        description="True when start_ingest joined an ingest that was already running")
    truncated: bool = Field(default=False, description="True when skipped_files was cut")

    def shrink(self, ratio: float) -> bool:
        skipped = self.job.skipped_files
        if skipped:
            del skipped[keep_count(len(skipped), ratio):]
        elif len(self.job.message) > 200:
            self.job.message = cut_lines(self.job.message, ratio)
        else:
            return False
        self.truncated = True
        return True


# --- docs -----------------------------------------------------------------------------------
class DocHit(BaseModel):
    path: str = Field(description="Workspace-relative path; read it with read_doc")
    line: int = Field(description="Line of the first match, 1-based; 0 when not known")
    score: float
    snippet: str = Field(description="Text around the match")


class SearchDocsResult(BaseModel):
    provider: str = Field(description="Which search provider answered")
    hits: list[DocHit]
    skipped: list[str] = Field(
        description="Providers that were unavailable or failed before one answered, with why")
    truncated: bool = Field(description="True when there are more hits than returned")
    next_offset: int = Field(description="Call again with offset=this for more; 0 when none")
    _offset: int = PrivateAttr(default=0)

    def starting_at(self, offset: int) -> SearchDocsResult:
        self._offset = offset
        return self

    def shrink(self, ratio: float) -> bool:
        if len(self.hits) > 1:
            del self.hits[max(1, keep_count(len(self.hits), ratio)):]
        elif self.hits and len(self.hits[0].snippet) > 200:
            self.hits[0].snippet = cut_lines(self.hits[0].snippet, ratio)
        else:
            return False
        self.truncated = True
        self.next_offset = self._offset + len(self.hits)
        return True


class ReadDocResult(BaseModel):
    path: str
    text: str
    start_line: int = Field(description="First line in text, 1-based")
    end_line: int = Field(description="Last line in text; start_line - 1 when text is empty")
    truncated: bool = Field(description="True when the document goes on after text")
    next_start_line: int = Field(description="Call again with start_line=this; 0 at the end")

    def shrink(self, ratio: float) -> bool:
        kept = cut_lines(self.text, ratio)
        if not kept or kept == self.text:
            return False
        self.text = kept
        lines = kept.count("\n") + (0 if kept.endswith("\n") else 1)
        self.end_line = self.start_line + lines - 1
        # A line too long to fit is cut inside; the next call starts at the line after it.
        self.next_start_line = self.end_line + 1
        self.truncated = True
        return True
