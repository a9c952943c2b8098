"""A program that only hands the loop from task to task: the most records a second."""

import asyncio


async def switcher(switches: int) -> None:
    for _ in range(switches):
        await asyncio.sleep(0)


async def main(tasks: int, switches: int) -> None:
    await asyncio.gather(*(switcher(switches) for _ in range(tasks)))
