"""Tasks that wait: one after another with time.sleep, together with asyncio.sleep."""

import asyncio
import time

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.reporting import print, task


@task
def say_hello(seconds: float) -> None:
    time.sleep(seconds)  # the whole thread waits here
    print("Hello")


def main(tasks: int, seconds: float) -> None:
    for _ in range(tasks):
        say_hello(seconds)


@task
async def say_hello_async(seconds: float) -> None:
    await asyncio.sleep(seconds)  # only this task waits; the loop runs the others
    print("Hello")


async def main_async(tasks: int, seconds: float) -> None:
    await asyncio.gather(*(say_hello_async(seconds) for _ in range(tasks)))


DEMO = Demo(
    name="sleep",
    title="Sleeping tasks",
    description="Each task waits, then prints Hello.",
    params=(
        IntParam("tasks", "Tasks", default=3, minimum=1, maximum=10),
        FloatParam("seconds", "Seconds per task", default=2.0, minimum=0.05, maximum=5.0),
    ),
    sync=Variant("Run sync", main, Where.THREAD, shown=(say_hello, main)),
    async_=Variant("Run async", main_async, Where.LOOP, shown=(say_hello_async, main_async)),
)
