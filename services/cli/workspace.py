"""`knowport workspace add | list | rm`: the repositories the running server indexes.

`add` registers a folder (idempotent: adding it again shows the workspace it already is) and,
unless --no-ingest, indexes it through the server, following the progress as `knowport
ingest` does. `rm` removes a workspace's index (never its files).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf.json_format import MessageToJson

from clients import KnowportRpcError
from services.cli import exit_codes
from services.cli.connect import address_of, client_for, describe_error
from services.config import Settings


def add_parser(commands) -> None:
    workspace = commands.add_parser("workspace", help="add, list or remove the repositories "
                                    "the server indexes")
    actions = workspace.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a folder as a workspace and index it")
    add.add_argument("root", help="the folder (made absolute here; the server must see the "
                     "same path)")
    add.add_argument("--name", default="", help="a display name")
    add.add_argument("--no-ingest", action="store_true", help="register only")
    listing = actions.add_parser("list", help="the registered workspaces")
    remove = actions.add_parser("rm", help="remove a workspace's index (its files stay)")
    remove.add_argument("workspace", help="workspace id (from `knowport workspace list`)")
    for parser in (add, listing, remove):
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with client_for(settings) as client:
            if args.action == "add":
                return _add(client, args)
            if args.action == "list":
                return _list(client, args.json)
            answer = client.delete_workspace(args.workspace)
            _print(answer, args.json, f"removed {_line(answer.workspace)}")
            return exit_codes.OK
    except KnowportRpcError as err:
        print(f"knowport: {describe_error(err, address_of(settings))}", file=sys.stderr)
        return exit_codes.UNREACHABLE if err.code.name == "UNAVAILABLE" else exit_codes.FAILED


def _add(client, args: argparse.Namespace) -> int:
    root = str(Path(args.root).expanduser().absolute())
    answer = client.create_workspace(root, display_name=args.name)
    verb = "added" if answer.created else "already registered:"
    _print(answer, args.json, f"{verb} {_line(answer.workspace)}")
    if args.no_ingest:
        return exit_codes.OK
    from services.cli.ingest import _report, _run_on_server  # the same progress as `ingest`

    job = _run_on_server(client, False, "", quiet=args.json, workspace=answer.workspace.id)
    return _report(job, as_json=args.json)


def _list(client, as_json: bool) -> int:
    workspaces, token = [], ""
    while True:
        page = client.list_workspaces(page_token=token)
        workspaces += page.workspaces
        if not (token := page.next_page_token):
            break
    if as_json:
        for workspace in workspaces:
            print(MessageToJson(workspace, preserving_proto_field_name=True, indent=None))
    else:
        print("\n".join(_line(w) for w in workspaces) or "no workspaces")
    return exit_codes.OK


def _line(workspace) -> str:
    name = f" ({workspace.display_name})" if workspace.display_name else ""
    default = "  [default]" if workspace.is_default else ""
    return f"{workspace.id}{name} = {workspace.root}{default}"


def _print(answer, as_json: bool, line: str) -> None:
    print(MessageToJson(answer, preserving_proto_field_name=True) if as_json else line)
