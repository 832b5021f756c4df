"""Bounds for steps that should never hang, with the evidence printed when one does."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(seconds: float, step: Awaitable[T], what: str) -> T:
    """Await `step`; past `seconds`, print every task's stack and fail naming the step.

    Far below pytest's own timeout, so a hang fails fast and shows where each task waits
    (pytest-timeout shows threads, which for asyncio is all the same frame).
    """
    try:
        async with asyncio.timeout(seconds):
            return await step
    except TimeoutError:
        print(f"--- {what}: still waiting after {seconds} s; every task's stack:",
              file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)
        raise AssertionError(f"{what} did not finish within {seconds} s "
                             "(task stacks on stderr)") from None
