import asyncio

DEADLINE = 0.3
WORK = 1.0
STEP = 0.1  # the work goes in small steps, each one an await


async def worker(work: float) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    print(f"worker: starts {work} s of work")
    steps = 0
    while (left := started + work - loop.time()) > 0:
        steps += 1
        try:
            await asyncio.sleep(min(STEP, left))  # stands in for one step of real work
        except asyncio.CancelledError:
            # The mistake: the cancel is caught and dropped, and the work goes on.
            print(f"worker: cancelled at {loop.time() - started:.1f} s, in step {steps}")
    print(f"worker: done at {loop.time() - started:.1f} s")


async def main(deadline: float = DEADLINE, work: float = WORK) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(worker(work))
    try:
        async with asyncio.timeout(deadline):
            await task
        print(f"main: no TimeoutError, the block ended after {loop.time() - started:.1f} s")
    except TimeoutError:
        print(f"main: timed out after {loop.time() - started:.1f} s")
    print(f"main: the worker was cancelled: {task.cancelled()}")


if __name__ == "__main__":
    asyncio.run(main())
