"""Tasks each waiting on one of asyncio's ways to wait, then let go."""

import asyncio
import time


async def on_event(event: asyncio.Event) -> None:
    await event.wait()


async def on_lock(lock: asyncio.Lock) -> None:
    async with lock:
        pass


async def on_queue(queue: asyncio.Queue[int]) -> None:
    await queue.get()


async def on_condition(condition: asyncio.Condition) -> None:
    async with condition:
        await condition.wait()


async def on_semaphore(semaphore: asyncio.Semaphore) -> None:
    async with semaphore:
        pass


async def main() -> None:
    event, lock, queue = asyncio.Event(), asyncio.Lock(), asyncio.Queue()
    condition, semaphore = asyncio.Condition(), asyncio.Semaphore(0)
    await lock.acquire()
    tasks = [
        asyncio.create_task(on_event(event)),
        asyncio.create_task(on_lock(lock)),
        asyncio.create_task(on_queue(queue)),
        asyncio.create_task(on_condition(condition)),
        asyncio.create_task(on_semaphore(semaphore)),
    ]
    await asyncio.sleep(0.001)
    event.set()
    lock.release()
    queue.put_nowait(1)
    async with condition:
        condition.notify_all()
    semaphore.release()
    await asyncio.gather(*tasks)


async def woken_while_the_loop_is_held(block: float = 0.03) -> None:
    event = asyncio.Event()
    waiter = asyncio.create_task(on_event(event))
    await asyncio.sleep(0.001)
    event.set()  # marker: main wakes the waiter
    time.sleep(block)  # ...and holds the loop before the waiter can run
    await waiter
