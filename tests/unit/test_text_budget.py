"""The pipeline's byte budget for file text in flight (services/ingestor/text_budget.py)."""

from __future__ import annotations

import asyncio

from services.ingestor.text_budget import TextBudget


async def test_files_enter_while_they_fit_and_a_large_one_goes_alone() -> None:
    budget = TextBudget(limit=10)
    assert await budget.take(4) == 4
    assert await budget.take(6) == 6  # exactly full
    waiting = asyncio.create_task(budget.take(25))  # larger than the whole budget
    await asyncio.sleep(0)
    assert not waiting.done()
    budget.give_back(4)
    await asyncio.sleep(0)
    assert not waiting.done()  # 6 still held: a large file waits until nothing else is
    budget.give_back(6)
    assert await asyncio.wait_for(waiting, timeout=10) == 25
    assert budget.used == 25
    small = asyncio.create_task(budget.take(1))
    await asyncio.sleep(0)
    assert not small.done()  # nothing fits beside it
    budget.give_back(25)
    assert await asyncio.wait_for(small, timeout=10) == 1
