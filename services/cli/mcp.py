"""`knowport mcp`: the MCP bridge, serving the knowledge of the server at GRPC_HOST:GRPC_PORT
(and WORKSPACE's docs) as MCP tools over stdio, or streamable HTTP on loopback."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys

from pydantic import ValidationError

from services.cli import exit_codes
from services.config import Settings
from services.config.mcp import McpSettings


def add_parser(commands) -> None:
    mcp = commands.add_parser(
        "mcp", help="serve the MCP bridge to the server at GRPC_HOST:GRPC_PORT: stdio by "
        "default (for an MCP host to start), or streamable HTTP on MCP_HTTP_HOST:MCP_HTTP_PORT")
    mcp.add_argument("--transport", choices=("stdio", "http"),
                     help="overrides MCP_TRANSPORT (default stdio)")
    mcp.add_argument("--port", type=int, help="overrides MCP_HTTP_PORT (0 picks a free one)")


def _with_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    overrides = {}
    if args.transport:
        overrides["mcp_transport"] = args.transport
    if args.port is not None:
        overrides["mcp_http_port"] = args.port
    if not overrides:
        return settings
    return dataclasses.replace(settings, mcp=McpSettings(**overrides))


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        settings = _with_overrides(settings, args)
    except ValidationError as err:
        message = err.errors()[0]["msg"].removeprefix("Value error, ")
        print(f"knowport: bad configuration: {message}", file=sys.stderr)
        return exit_codes.USAGE
    # A long-running server like `serve`: it logs at LOG_LEVEL (stderr only; with stdio,
    # stdout carries nothing but protocol messages).
    logging.getLogger().setLevel(settings.runtime.log_level)
    from services.mcp_bridge.transport import serve  # the SDK's imports only for this command

    asyncio.run(serve(settings))
    return exit_codes.OK
