import asyncio

JOBS = 2
SIZE = 5_000_000  # loop rounds in each job: a few tenths of a second of CPU


def crunch(size: int) -> int:
    """Pure-Python arithmetic: CPU work that holds the GIL while it runs."""
    total = 0
    for i in range(size):
        total += i * i % 7
    return total


async def job(number: int) -> None:
    # crunch runs in a thread of the loop's default executor; this task waits.
    total = await asyncio.to_thread(crunch, SIZE)
    print(f"job {number}: total {total}")


async def heartbeat(done: asyncio.Event, every: float = 0.05) -> None:
    """Wakes every 50 ms, and reports at the end how late the loop ever woke it."""
    loop = asyncio.get_running_loop()
    latest = 0.0
    while not done.is_set():
        before = loop.time()
        await asyncio.sleep(every)
        latest = max(latest, loop.time() - before - every)
    print(f"heartbeat: at most {latest:.3f} s late")


async def main() -> None:
    done = asyncio.Event()
    monitor = asyncio.create_task(heartbeat(done))
    jobs = [asyncio.create_task(job(n)) for n in range(JOBS)]
    await asyncio.gather(*jobs)
    done.set()
    await monitor


if __name__ == "__main__":
    asyncio.run(main())
