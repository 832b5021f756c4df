"""`knowport health`: the server's grpc.health.v1 status as an exit code, for orchestrators."""

from __future__ import annotations

import argparse
import sys

from grpc_health.v1 import health_pb2

from clients import KnowportRpcError
from services.cli import exit_codes
from services.cli.connect import address_of, client_for, describe_error
from services.config import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    address = address_of(settings)
    with client_for(settings, timeout=args.timeout) as client:
        try:
            reply = client.health(args.service)
        except KnowportRpcError as err:
            print(f"knowport: {describe_error(err, address)}", file=sys.stderr)
            return (exit_codes.UNREACHABLE if err.code.name == "UNAVAILABLE"
                    else exit_codes.FAILED)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{address} {args.service or '(server)'}: {status}")
    return exit_codes.OK if reply.status == health_pb2.HealthCheckResponse.SERVING \
        else exit_codes.FAILED
