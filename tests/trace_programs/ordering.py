"""call_soon, call_later and create_task, in the order the loop runs them."""

import asyncio
import time


async def child(order: list[str]) -> None:
    order.append("task")


async def main() -> list[str]:
    loop = asyncio.get_running_loop()
    order: list[str] = []
    loop.call_later(0, order.append, "later")
    loop.call_soon(order.append, "soon")
    task = asyncio.create_task(child(order))
    await asyncio.sleep(0)  # marker: main yields
    await asyncio.sleep(0)
    await task
    return order


async def resolved_by_a_callback(delay: float = 0.01) -> int:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(delay, future.set_result, 42)
    return await future  # marker: main awaits the future


async def from_another_thread(delay: float = 0.01) -> None:
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, delay)


async def from_a_busy_thread(calls: int = 500) -> int:
    loop = asyncio.get_running_loop()
    ran: list[int] = []

    def hammer() -> None:
        for number in range(calls):
            loop.call_soon_threadsafe(ran.append, number)

    # The thread's last callback, which wakes this task, is queued after the others.
    await asyncio.to_thread(hammer)
    return len(ran)
