"""One blocking call inside async code stalls every task on the loop."""

import asyncio
import time

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.reporting import print, task

STEPS = 4
STEP_SECONDS = 0.25


@task
async def worker_that_blocks(number: int, block: float) -> None:
    for step in range(1, STEPS + 1):
        if number == 0 and step == 3:
            time.sleep(block)  # a blocking call: nothing else on the loop can run
        await asyncio.sleep(STEP_SECONDS)
        print(f"step {step}")


@task
async def worker_that_awaits(number: int, block: float) -> None:
    for step in range(1, STEPS + 1):
        if number == 0 and step == 3:
            await asyncio.sleep(block)  # waits too, but lets the loop run the others
        await asyncio.sleep(STEP_SECONDS)
        print(f"step {step}")


@task
async def heartbeat(done: asyncio.Event, every: float = 0.05) -> None:
    """Wakes every 50 ms and reports when the loop woke it late."""
    loop = asyncio.get_running_loop()
    while not done.is_set():
        before = loop.time()
        await asyncio.sleep(every)
        late = loop.time() - before - every
        if late > 0.1:
            print(f"loop blocked for {late:.2f} s")


async def main(tasks: int, block: float) -> None:
    workers = [worker_that_blocks(n, block) for n in range(tasks)]
    done = asyncio.Event()
    monitor = asyncio.create_task(heartbeat(done))
    await asyncio.gather(*workers)
    done.set()
    await monitor


async def main_async(tasks: int, block: float) -> None:
    workers = [worker_that_awaits(n, block) for n in range(tasks)]
    done = asyncio.Event()
    monitor = asyncio.create_task(heartbeat(done))
    await asyncio.gather(*workers)
    done.set()
    await monitor


DEMO = Demo(
    name="blocking",
    title="A blocking call in async code",
    description=(
        "Several tasks take small steps; task 0 waits once in the middle, "
        "with time.sleep or with asyncio.sleep. A heartbeat watches the loop."
    ),
    params=(
        IntParam("tasks", "Tasks", default=3, minimum=2, maximum=5),
        FloatParam("block", "Seconds task 0 waits", default=1.0, minimum=0.1, maximum=3.0),
    ),
    # Both variants run on a private loop in a pool thread: the blocking one
    # stalls that loop, and only that loop, on purpose.
    sync=Variant(
        "Run with time.sleep",
        main,
        Where.PRIVATE_LOOP,
        shown=(worker_that_blocks, heartbeat, main),
    ),
    async_=Variant(
        "Run with asyncio.sleep",
        main_async,
        Where.PRIVATE_LOOP,
        shown=(worker_that_awaits, heartbeat, main_async),
    ),
)
