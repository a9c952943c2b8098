"""What runs when: a callback, a timer, a coroutine awaited and a task created."""

import asyncio

from demos.base import Demo, Variant, Where
from demos.reporting import print


async def greet(who: str) -> None:
    print(f"{who}: first half")
    await asyncio.sleep(0)  # hands the loop one turn
    print(f"{who}: second half")


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, print, "call_later: 10 ms on")
    loop.call_soon(print, "call_soon: the next turn")
    print("main: awaits greet()")
    await greet("coroutine")  # runs at once, inside main's own task
    print("main: greet() is done")
    await asyncio.sleep(0.02)


async def main_with_task() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, print, "call_later: 10 ms on")
    loop.call_soon(print, "call_soon: the next turn")
    task = asyncio.create_task(greet("task"))  # queued to start, not started
    print("main: created the task")
    await task
    print("main: the task is done")
    await asyncio.sleep(0.02)


DEMO = Demo(
    name="order",
    title="What runs when",
    description=(
        "A callback for the next turn, a timer, and greet() either awaited as a "
        "coroutine or started as a task. Each line says when it ran."
    ),
    params=(),
    # A private loop each: a timer still pending when a run is cancelled dies
    # with its loop instead of printing after the run has ended.
    sync=Variant("Await the coroutine", main, Where.PRIVATE_LOOP, shown=(greet, main)),
    async_=Variant(
        "Create a task", main_with_task, Where.PRIVATE_LOOP, shown=(greet, main_with_task)
    ),
)
