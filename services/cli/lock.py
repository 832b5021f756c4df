"""`knowport lock`: take, renew, release and inspect the LLM lock, or hold it while a command
runs (renewed automatically, released when the command ends)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from google.protobuf.json_format import MessageToJson

from clients import KnowportClient, KnowportRpcError, LockBusy
from services.cli import exit_codes
from services.cli.connect import client_for
from services.config import Settings


def add_parser(commands) -> None:
    lock = commands.add_parser("lock", help="take, renew, release or inspect the LLM lock")
    actions = lock.add_subparsers(dest="action", required=True, metavar="ACTION")
    acquire = actions.add_parser("acquire", help="take the lock; prints the lease id (with "
                                 "--json: acquired, lease_id and the lock)")
    acquire.add_argument("--holder", required=True, help="who holds it, e.g. agent-7")
    acquire.add_argument("--ttl", type=int, default=0, help="seconds (default: server's 300)")
    renew = actions.add_parser("renew", help="extend a lease")
    renew.add_argument("lease_id")
    renew.add_argument("--ttl", type=int, default=0, help="seconds from now")
    release = actions.add_parser("release", help="free a lease")
    release.add_argument("lease_id")
    actions.add_parser("status", help="who holds the lock, and until when")
    run = actions.add_parser("run", help="hold the lock while COMMAND runs; exit with its code")
    run.add_argument("--holder", required=True)
    run.add_argument("--ttl", type=int, default=60,
                     help="lease seconds, renewed every third of it (default 60)")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    acquire.add_argument("--json", action="store_true",
                         help="print the answer as JSON: acquired, lease_id, lock")
    for parser in (renew, release, actions.choices["status"]):
        parser.add_argument("--json", action="store_true", help="print the lock as JSON")


def _show(lock, args: argparse.Namespace, lease_id: str = "") -> None:
    if getattr(args, "json", False):
        print(MessageToJson(lock, preserving_proto_field_name=True,
                            always_print_fields_with_no_presence=True))
    elif lock.locked:
        print(f"locked by {lock.holder} until {lock.expire_time.ToJsonString()} "
              f"(token {lock.fencing_token})" + (f"; lease {lease_id}" if lease_id else ""))
    else:
        print(f"free (last token {lock.fencing_token})")


def run(settings: Settings, args: argparse.Namespace) -> int:
    with client_for(settings) as client:
        try:
            return _act(client, args)
        except LockBusy as busy:
            print(f"knowport: {busy}", file=sys.stderr)
            return exit_codes.BUSY
        except KnowportRpcError as err:
            print(f"knowport: {err}", file=sys.stderr)
            return (exit_codes.UNREACHABLE if err.code.name == "UNAVAILABLE"
                    else exit_codes.FAILED)


def _act(client: KnowportClient, args: argparse.Namespace) -> int:
    if args.action == "acquire":
        taken = client.acquire_llm_lock(args.holder, args.ttl)
        if not taken.acquired:
            raise LockBusy(taken.lock)
        if args.json:  # the whole answer: a script needs the lease id to renew and release
            print(MessageToJson(taken, preserving_proto_field_name=True,
                                always_print_fields_with_no_presence=True))
        else:
            print(taken.lease_id)  # alone on stdout: `LEASE=$(knowport lock acquire ...)`
        return exit_codes.OK
    if args.action == "renew":
        _show(client.renew_llm_lock(args.lease_id, args.ttl).lock, args)
    elif args.action == "release":
        _show(client.release_llm_lock(args.lease_id).lock, args)
    elif args.action == "status":
        _show(client.llm_lock_state().lock, args)
    else:
        command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not command:
            print("knowport: lock run needs a command after --", file=sys.stderr)
            return exit_codes.USAGE
        with client.llm_lock(args.holder, args.ttl):
            return subprocess.call(command)
    return exit_codes.OK
