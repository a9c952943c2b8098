import asyncio

JOBS = 8
WORKERS = 2
SECONDS = 0.25  # how long a worker takes over one job
MAXSIZE = 2  # the bound the other version sets: this queue has none


async def producer(queue: asyncio.Queue, jobs: int) -> None:
    most = 0
    for job in range(1, jobs + 1):
        await queue.put(job)  # never waits: an unbounded queue is never full
        most = max(most, queue.qsize())
        print(f"producer: put job {job} (queue holds {queue.qsize()})")
    print(f"producer: done, the queue held up to {most} jobs")


async def worker(name: str, queue: asyncio.Queue, seconds: float) -> None:
    while True:
        job = await queue.get()
        try:
            if job is None:  # the sentinel: no more jobs will come
                print(f"{name}: stopping")
                return
            print(f"{name}: took job {job} (queue holds {queue.qsize()})")
            await asyncio.sleep(seconds)  # processing the job
            print(f"{name}: finished job {job}")
        finally:
            queue.task_done()


async def main(
    jobs: int = JOBS, workers: int = WORKERS, seconds: float = SECONDS, maxsize: int = MAXSIZE
) -> None:
    queue = asyncio.Queue()  # no maxsize: it holds as many jobs as it is given
    feeding = asyncio.create_task(producer(queue, jobs))
    pool = [asyncio.create_task(worker(f"worker {n}", queue, seconds)) for n in range(workers)]
    await feeding
    await queue.join()  # until every job put has been marked done
    print("main: every job is done")
    for _ in pool:
        await queue.put(None)  # one sentinel for each worker
    await asyncio.gather(*pool)


if __name__ == "__main__":
    asyncio.run(main())
