"""Tasks that make tasks."""

import asyncio


async def grandchild() -> None:
    await asyncio.sleep(0)


async def child() -> None:
    await asyncio.create_task(grandchild())  # marker: child makes grandchild


async def main() -> None:
    task = asyncio.create_task(child())  # marker: main makes child
    await task  # marker: main awaits child
