"""`knowport symbols | refs | calls | impact`: ask the running server's symbol graph.

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
from services.cli.knowledge import KINDS
from services.config import Settings

REFERENCE_KINDS = {name.removeprefix("REFERENCE_KIND_").lower(): number
                   for name, number in kpb.ReferenceKind.items() if number}


def add_parser(commands) -> None:
    symbols = commands.add_parser("symbols", help="where a symbol is defined: by name, "
                                  "name prefix (NAME*) or qualified name (Class.method)")
    symbols.add_argument("name", help="a bare name, a prefix ending in '*', or a qualified "
                         "name with a '.' (use --name to look a dotted name up as bare)")
    symbols.add_argument("--name", dest="exact", action="store_true",
                         help="take NAME as an exact bare name")
    symbols.add_argument("--kind", action="append", default=[], choices=sorted(KINDS),
                         help="repeatable")
    symbols.add_argument("--path-glob", default="", help="e.g. 'services/**/*.py'")
    symbols.add_argument("--limit", type=int, default=0, help="definitions (at most 200)")
    refs = commands.add_parser("refs", help="where a symbol is used, grouped by file")
    refs.add_argument("symbol", help="a bare name, or PATH:QUALIFIED_NAME for one definition "
                      "(e.g. services/storage/port.py:Files.replace_file)")
    refs.add_argument("--kind", action="append", default=[], choices=sorted(REFERENCE_KINDS),
                      help="repeatable")
    refs.add_argument("--limit", type=int, default=0, help="references (at most 500)")
    calls = commands.add_parser("calls", help="callers (default) or callees of a definition")
    calls.add_argument("symbol", help="PATH:QUALIFIED_NAME, e.g. app.py:main")
    calls.add_argument("--callees", action="store_true", help="what it calls, not who calls it")
    calls.add_argument("--depth", type=int, default=0, help="calls away (default 2, at most 5)")
    calls.add_argument("--max-nodes", type=int, default=0, help="default 50, at most 200")
    impact = commands.add_parser("impact", help="what uses anything a file (or line span) "
                                 "defines")
    impact.add_argument("path")
    impact.add_argument("--start-line", type=int, default=0)
    impact.add_argument("--end-line", type=int, default=0)
    impact.add_argument("--limit", type=int, default=0, help="references (at most 500)")
    for parser in (symbols, refs, impact):
        parser.add_argument("--page-token", default="", help="from a previous answer")
    for parser in (symbols, refs, calls, impact):
        parser.add_argument("--workspace", default="", help="workspace id (default: the "
                            "server's)")
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def _definition(text: str) -> tuple[str, str]:
    """`path:Qualified.name` -> (qualified name, path); a usage error without the path."""
    path, colon, qualified = text.rpartition(":")
    if not colon or not path or not qualified:
        raise SystemExit(f"knowport: name a definition as PATH:QUALIFIED_NAME, not {text!r}")
    return qualified, path


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        request = _ask(args)
        with client_for(settings) as client:
            answer = request(client)
    except KnowportRpcError as err:
        print(f"knowport: {describe_error(err, address_of(settings))}", file=sys.stderr)
        return exit_codes.UNREACHABLE if err.code.name == "UNAVAILABLE" else exit_codes.FAILED
    except SystemExit as err:
        print(err, file=sys.stderr)
        return exit_codes.USAGE
    if args.json:
        print(MessageToJson(answer, preserving_proto_field_name=True))
    else:
        print(_SHOW[args.command](answer))
    return exit_codes.OK


def _ask(args: argparse.Namespace):
    """The call to make, as a function of the client (the arguments are checked first)."""
    ws = args.workspace
    if args.command == "symbols":
        name = args.name
        field = ("name" if args.exact else "prefix" if name.endswith("*")
                 else "qualified_name" if "." in name else "name")
        value = name[:-1] if field == "prefix" else name
        return lambda client: client.find_symbols(
            **{field: value}, kinds=[KINDS[k] for k in args.kind], path_glob=args.path_glob,
            page_size=args.limit, page_token=args.page_token, workspace=ws)
    if args.command == "refs":
        kinds = [REFERENCE_KINDS[k] for k in args.kind]
        if ":" in args.symbol:
            qualified, path = _definition(args.symbol)
            return lambda client: client.find_references(
                qualified_name=qualified, path=path, reference_kinds=kinds,
                page_size=args.limit, page_token=args.page_token, workspace=ws)
        return lambda client: client.find_references(
            name=args.symbol, reference_kinds=kinds, page_size=args.limit,
            page_token=args.page_token, workspace=ws)
    if args.command == "calls":
        qualified, path = _definition(args.symbol)
        return lambda client: client.call_graph(
            qualified, path, direction="callees" if args.callees else "callers",
            depth=args.depth, max_nodes=args.max_nodes, workspace=ws)
    return lambda client: client.impact(args.path, start_line=args.start_line,
                                        end_line=args.end_line, page_size=args.limit,
                                        page_token=args.page_token, workspace=ws)


def _kind(number: int) -> str:
    return kpb.SymbolKind.Name(number).removeprefix("SYMBOL_KIND_").lower()


def _where(d) -> str:
    return f"{d.path}:{d.start_line}"


def _more(answer) -> list[str]:
    return [f"more: --page-token {answer.next_page_token}"] if answer.next_page_token else []


def _show_symbols(answer) -> str:
    lines = [f"{_where(d):<40} {_kind(d.kind):<9} {d.qualified_name}"
             + (f"\n    {d.signature}" if d.signature else "") for d in answer.definitions]
    return "\n".join(lines + _more(answer)) or "no definitions"


def _reference(r) -> str:
    kind = kpb.ReferenceKind.Name(r.kind).removeprefix("REFERENCE_KIND_").lower()
    if r.resolution == kpb.RESOLUTION_RESOLVED:
        meant = f"-> {r.target.qualified_name} ({_where(r.target)})"
    elif r.resolution == kpb.RESOLUTION_AMBIGUOUS:
        meant = "ambiguous: " + ", ".join(f"{c.qualified_name} ({_where(c)})"
                                          for c in r.candidates)
    else:
        meant = "unresolved"
    return f"  {r.line:>5}:{r.column:<4} {kind:<11} {r.snippet}\n      {meant}"


def _show_references(answer) -> str:
    lines = []
    if answer.HasField("definition"):
        d = answer.definition
        lines.append(f"references to {d.qualified_name} ({_where(d)}): "
                     f"{answer.total_references}")
    for file in answer.files:
        lines.append(file.path)
        lines += [_reference(r) for r in file.references]
    return "\n".join(lines + _more(answer)) or "no references"


def _show_calls(answer) -> str:
    nodes = answer.nodes
    lines = [f"{'  ' * n.depth}{n.definition.qualified_name or n.definition.path} "
             f"({_where(n.definition)})" for n in nodes]
    lines.append("calls:")
    lines += [f"  {nodes[e.caller].definition.qualified_name or nodes[e.caller].definition.path}"
              f" -> {nodes[e.callee].definition.qualified_name}"
              f" (line {', '.join(map(str, e.lines))}{', ambiguous' if e.ambiguous else ''})"
              for e in answer.edges]
    if answer.unresolved_calls:
        lines.append(f"{answer.unresolved_calls} calls to names defined outside the workspace")
    if answer.truncated:
        lines.append("[cut: more lies beyond the depth or node cap]")
    return "\n".join(lines)


def _show_impact(answer) -> str:
    lines = ["defined here:"] + [f"  {_where(d):<40} {d.qualified_name}"
                                 for d in answer.definitions]
    lines.append(f"used elsewhere: {answer.total_references}")
    for file in answer.files:
        lines.append(file.path)
        lines += [_reference(r) for r in file.references]
    return "\n".join(lines + _more(answer))


_SHOW = {"symbols": _show_symbols, "refs": _show_references, "calls": _show_calls,
         "impact": _show_impact}
