import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

JOBS = 2
SIZE = 5_000_000  # loop rounds in each job: a few tenths of a second of CPU


def crunch(size: int) -> int:
    """Pure-Python arithmetic: CPU work that holds the GIL while it runs."""
    total = 0
    for i in range(size):
        total += i * i % 7
    return total


async def job(pool: ProcessPoolExecutor, number: int) -> None:
    # crunch and SIZE are pickled and sent to a worker process; this task waits.
    loop = asyncio.get_running_loop()
    total = await loop.run_in_executor(pool, crunch, SIZE)
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
    # "spawn": each worker is a fresh Python that imports this file as a module.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=JOBS, mp_context=spawn) as pool:
        jobs = [asyncio.create_task(job(pool, n)) for n in range(JOBS)]
        await asyncio.gather(*jobs)
    done.set()
    await monitor


if __name__ == "__main__":
    asyncio.run(main())
