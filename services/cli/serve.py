"""`knowport serve`."""

from __future__ import annotations

import argparse
import asyncio

from services.cli import exit_codes, quick_exit
from services.config import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    from services.server.main import serve  # the server's imports are only for this command

    asyncio.run(serve(settings))
    quick_exit.skip_teardown(exit_codes.OK)
    return exit_codes.OK
