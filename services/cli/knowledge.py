"""`knowport search | file | overview | stats`: ask the running server what it knows.

Human-readable by default; `--json` prints the response message as JSON for scripts.
"""

from __future__ import annotations

import argparse
import sys

from google.protobuf.json_format import MessageToJson

from clients import KnowportRpcError
from knowport.v1 import knowledge_service_pb2 as kpb
from services.cli import exit_codes
from services.cli.connect import address_of, client_for, describe_error
from services.config import Settings

KINDS = {name.removeprefix("SYMBOL_KIND_").lower(): number
         for name, number in kpb.SymbolKind.items() if number}
ROLES = {name.removeprefix("FILE_ROLE_").lower(): number
         for name, number in kpb.FileRole.items() if number}


def _roles(text: str) -> list[int]:
    """`tests,docs` -> their FileRole numbers; an unknown name is a usage error (exit 2)."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ROLES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown role {', '.join(unknown) or repr(text)}; "
                                         f"valid: {', '.join(ROLES)}")
    return [ROLES[name] for name in names]


def add_parser(commands) -> None:
    search = commands.add_parser("search", help="search the index (hybrid by default)")
    search.add_argument("query")
    search.add_argument("--mode", choices=("hybrid", "lexical", "semantic"), default="hybrid")
    search.add_argument("--path-glob", default="", help="e.g. 'services/**/*.py'")
    search.add_argument("--language", action="append", default=[], help="repeatable")
    search.add_argument("--kind", action="append", default=[], choices=sorted(KINDS),
                        help="repeatable")
    search.add_argument("--exclude", action="append", default=[], type=_roles,
                        metavar="ROLE[,ROLE]", help=f"leave out {' and '.join(ROLES)} "
                        "(comma-separated or repeated), e.g. --exclude tests,docs")
    search.add_argument("--limit", type=int, default=10, help="hits (at most 50)")
    search.add_argument("--page-token", default="", help="from a previous --json answer")
    file = commands.add_parser("file", help="one file's summary, symbols, chunks and text")
    file.add_argument("path", help="workspace-relative path, or an absolute one inside "
                      "the workspace")
    file.add_argument("--start-line", type=int, default=0)
    file.add_argument("--end-line", type=int, default=0)
    file.add_argument("--start-column", type=int, default=0,
                      help="characters into --start-line where the text starts (to continue "
                           "inside a very long line)")
    overview = commands.add_parser("overview", help="languages, layout, key modules, "
                                   "entry points and the most referenced symbols")
    overview.add_argument("--max-depth", type=int, default=0)
    stats = commands.add_parser("stats", help="what the index holds (files, chunks, ...)")
    search.add_argument("--workspace", action="append", default=[], help="workspace id "
                        "(default: the server's); repeat it to search several as one ranking")
    for parser in (file, overview, stats):
        parser.add_argument("--workspace", default="", help="workspace id (default: the "
                            "server's)")
    for parser in (search, file, overview, stats):
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with client_for(settings) as client:
            answer = _ask(client, args)
    except KnowportRpcError as err:
        print(f"knowport: {describe_error(err, address_of(settings))}", file=sys.stderr)
        return exit_codes.UNREACHABLE if err.code.name == "UNAVAILABLE" else exit_codes.FAILED
    if args.json:
        print(MessageToJson(answer, preserving_proto_field_name=True))
    else:
        print(_SHOW[args.command](answer))
    return exit_codes.OK


def _ask(client, args: argparse.Namespace):
    if args.command == "search":
        return client.search(args.query, mode=args.mode, page_size=args.limit,
                             page_token=args.page_token, path_glob=args.path_glob,
                             languages=args.language, kinds=[KINDS[k] for k in args.kind],
                             exclude_roles=sorted({r for rs in args.exclude for r in rs}),
                             workspaces=args.workspace)
    if args.command == "file":
        return client.file_context(args.path, start_line=args.start_line,
                                   end_line=args.end_line, workspace=args.workspace,
                                   start_column=args.start_column)
    if args.command == "overview":
        return client.overview(max_depth=args.max_depth, workspace=args.workspace)
    return client.stats(workspace=args.workspace)


def _kind(number: int) -> str:
    return kpb.SymbolKind.Name(number).removeprefix("SYMBOL_KIND_").lower()


SNIPPET_LINES = 4  # of each hit's snippet in the text form of `search`


STALE = "  [stale: changed on disk since indexed]"


def _show_search(answer) -> str:
    several = len({hit.workspace for hit in answer.hits}) > 1
    lines = [(f"[{hit.workspace}] " if several else "")
             + f"{hit.path}:{hit.start_line}-{hit.end_line}  {hit.symbol or '-'} "
             f"({_kind(hit.kind)}, score {hit.score:.3f})" + (STALE if hit.stale else "")
             + (f"\n    {hit.description}" if hit.description else "")
             + _snippet(hit.snippet)
             for hit in answer.hits]
    lines += [f"note: {notice}" for notice in answer.notices]
    if any(hit.stale for hit in answer.hits):
        lines.append("note: stale hits show the text as indexed; `knowport ingest PATH` (or "
                     "the server's watcher) indexes them again")
    if answer.next_page_token:
        lines.append(f"more: --page-token {answer.next_page_token}")
    return "\n".join(lines) or "no hits"


def _snippet(snippet: str) -> str:
    """The first few non-blank lines of a hit's snippet, indented under it."""
    shown = [line.rstrip() for line in snippet.splitlines() if line.strip()]
    more = ["      ..."] if len(shown) > SNIPPET_LINES else []
    return "".join(f"\n      {line}" for line in shown[:SNIPPET_LINES] + more)


def _show_file(answer) -> str:
    """The code with its line numbers, then the symbols of the lines shown (not the whole
    file's list first: that buried the code asked for)."""
    head = f"{answer.path} ({answer.language}, {answer.size_bytes} bytes)" + (
        STALE + f"; `knowport ingest {answer.path}` indexes it again" if answer.stale else "")
    parts = [head, answer.summary, _numbered(answer)]
    if answer.next_start_column:  # cut inside a line too long for one answer
        parts.append(f"[cut: ask again with --start-line {answer.text_end_line} "
                     f"--start-column {answer.next_start_column}]")
    elif answer.truncated:
        parts.append(f"[cut: ask again with --start-line {answer.text_end_line + 1}]")
    parts.append(_range_symbols(answer))
    return "\n".join(p for p in parts if p)


def _numbered(answer) -> str:
    """The text with each line's number in a column before it."""
    lines = answer.text.splitlines()
    width = len(str(answer.text_start_line + len(lines)))
    return "\n".join(f"{answer.text_start_line + i:>{width}} | {line}"
                     for i, line in enumerate(lines))


def _range_symbols(answer) -> str:
    first, last = answer.text_start_line, answer.text_end_line
    shown = [s for s in answer.symbols if s.end_line >= first and s.start_line <= last]
    others = len(answer.symbols) - len(shown) + answer.symbols_outside_range
    lines = [f"symbols in lines {first}-{last}:" if first else "symbols:"]
    lines += [f"  {s.start_line:>5}-{s.end_line:<5} {_kind(s.kind):<9} {s.name}" for s in shown]
    if others:
        lines.append(f"  ({others} more elsewhere in the file)")
    return "\n".join(lines) if len(lines) > 1 else ""


def _show_overview(answer) -> str:
    lines = [f"workspace {answer.workspace} at {answer.root}", "languages:"]
    lines += [f"  {x.language:<12} {x.files:>6} files {x.bytes:>12} bytes"
              for x in answer.languages]
    lines += ["layout:"] + [f"  {x.path + '/' if x.path != '.' else './':<40} {x.files:>6} files "
                            f"{x.bytes:>12} bytes" for x in answer.layout]
    lines += ["key modules:"] + [f"  {m.path}: {m.purpose}" for m in answer.key_modules]
    lines += ["entry points:"] + [f"  {p}" for p in answer.entry_points]
    lines += ["most referenced symbols:"] + [f"  {s.name} ({s.path}:{s.start_line})"
                                              for s in answer.symbols[:20]]
    return "\n".join(lines)


def _show_stats(answer) -> str:
    languages = ", ".join(f"{x.language} {x.files}" for x in answer.languages)
    return (f"workspace {answer.workspace} ({answer.storage_backend}): {answer.files} files, "
            f"{answer.chunks} chunks ({answer.enriched_chunks} described, "
            f"{answer.embedded_chunks} embedded), {answer.total_bytes} bytes; {languages}")


_SHOW = {"search": _show_search, "file": _show_file, "overview": _show_overview,
         "stats": _show_stats}
