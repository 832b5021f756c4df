"""`knowport health`: the server's grpc.health.v1 status as an exit code, for orchestrators."""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.cli import exit_codes
from services.cli.connect import address_of, describe_rpc_error
from services.config import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    address = address_of(settings)
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
        except grpc.RpcError as err:
            print(f"knowport: {describe_rpc_error(err, address)}", file=sys.stderr)
            return (exit_codes.UNREACHABLE if err.code() == grpc.StatusCode.UNAVAILABLE
                    else exit_codes.FAILED)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{address} {args.service or '(server)'}: {status}")
    return exit_codes.OK if reply.status == health_pb2.HealthCheckResponse.SERVING \
        else exit_codes.FAILED
