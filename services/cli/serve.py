"""`knowport serve`: flags for where to serve and what to index (they win over the environment),
and a --help that lists every setting with its default, read from the settings classes."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from services.cli import exit_codes, quick_exit
from services.config import Settings
from services.config.ingest import IngestSettings
from services.config.llm import LlmSettings
from services.config.llm_lock import LlmLockSettings
from services.config.runtime import RuntimeSettings
from services.config.storage import StorageSettings

# The concerns `knowport serve` reads (the MCP bridge's settings are `knowport mcp`'s).
SERVE_SETTINGS: dict[str, type[BaseSettings]] = {
    "runtime": RuntimeSettings, "storage": StorageSettings, "ingest": IngestSettings,
    "llm": LlmSettings, "llm lock": LlmLockSettings}


def add_parser(commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve IngestService, LockService and KnowledgeService on "
        "GRPC_HOST:GRPC_PORT", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the index of WORKSPACE over gRPC until SIGTERM or Ctrl-C.",
        epilog=settings_help())
    serve.add_argument("--workspace", type=_directory, metavar="DIR",
                       help="the repository to index (instead of WORKSPACE)")
    serve.add_argument("--host", help="address to bind (instead of GRPC_HOST)")
    serve.add_argument("--port", type=_port, help="port to bind, 0 picks a free one "
                       "(instead of GRPC_PORT)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from services.server.main import serve  # the server's imports are only for this command

    asyncio.run(serve(with_flags(settings, args)))
    quick_exit.skip_teardown(exit_codes.OK)
    return exit_codes.OK


def with_flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with the flags given on the command line in place of their variables."""
    flags = {"workspace": args.workspace, "grpc_host": args.host, "grpc_port": args.port}
    given = {name: value for name, value in flags.items() if value is not None}
    return dataclasses.replace(settings, runtime=settings.runtime.model_copy(update=given))


def settings_help() -> str:
    """Every environment variable serve reads, with its default, by concern."""
    lines = ["settings (environment variables, read once at start; the flags above win "
             "over theirs):"]
    for concern, model in SERVE_SETTINGS.items():
        lines.append(f"  {concern}:")
        lines += [f"    {name.upper():<36} {_default(field)}"
                  for name, field in model.model_fields.items()]
    return "\n".join(lines)


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or value == "":
        return "(empty)"
    return str(value).lower() if isinstance(value, bool) else str(value)


# Checked as the settings check their variables (RuntimeSettings), but as usage errors.
def _directory(value: str) -> Path:
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is not a directory")
    return path


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0 to 65535)")
    return port
