import asyncio
import time

TASKS = 3
BLOCK = 1.0  # seconds task 0 waits, once, in the middle
STEPS = 4
STEP_SECONDS = 0.25


async def worker_that_blocks(number: int, block: float) -> None:
    for step in range(1, STEPS + 1):
        if number == 0 and step == 3:
            time.sleep(block)  # a blocking call: nothing else on the loop can run
        await asyncio.sleep(STEP_SECONDS)
        print(f"step {step}")


async def heartbeat(done: asyncio.Event, every: float = 0.05) -> None:
    """Wakes every 50 ms and reports when the loop woke it late."""
    loop = asyncio.get_running_loop()
    while not done.is_set():
        before = loop.time()
        await asyncio.sleep(every)
        late = loop.time() - before - every
        if late > 0.1:
            print(f"loop blocked for {late:.2f} s")


async def main(tasks: int = TASKS, block: float = BLOCK) -> None:
    workers = [asyncio.create_task(worker_that_blocks(n, block)) for n in range(tasks)]
    done = asyncio.Event()
    monitor = asyncio.create_task(heartbeat(done))
    await asyncio.gather(*workers)
    done.set()
    await monitor


if __name__ == "__main__":
    asyncio.run(main())
