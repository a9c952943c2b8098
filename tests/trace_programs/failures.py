"""One task fails: gather lets the others run on, a TaskGroup cancels them."""

import asyncio


async def fine(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "fine"


async def broken(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError("broken")  # marker: broken raises


async def with_gather() -> None:
    try:
        await asyncio.gather(fine(0.03), broken(0.01))
    except ValueError:
        await asyncio.sleep(0.04)  # the fine task ends meanwhile


async def with_task_group() -> None:
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fine(0.03))
            group.create_task(broken(0.01))
    except* ValueError:
        pass


async def left_alone() -> None:
    task = asyncio.create_task(broken(0))  # nobody asks for its exception
    await asyncio.sleep(0.01)
    assert task.done()
