"""Tasks that sleep together."""

import asyncio


async def nap(seconds: float) -> None:
    await asyncio.sleep(seconds)  # marker: nap sleeps


async def main(tasks: int = 3, seconds: float = 0.01) -> None:
    await asyncio.gather(*(nap(seconds) for _ in range(tasks)))  # marker: main gathers


async def steps(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def many(count: int) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.001, print).cancel()  # never runs, so never listed
    await asyncio.gather(*(nap(0.01 + number / 1000) for number in range(count)))
