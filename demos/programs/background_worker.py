import asyncio

REQUESTS = 3
GAP = 0.2  # seconds between two requests
MAIL = 0.5  # how long sending one mail takes


async def handle(n: int, jobs: asyncio.Queue) -> None:
    # The view: put a job on the queue and answer without waiting for it.
    await jobs.put(n)
    print(f"request {n}: job queued, response sent")


async def worker(jobs: asyncio.Queue) -> None:
    # The worker: takes the jobs one at a time, however the server is doing.
    while (n := await jobs.get()) is not None:
        await asyncio.sleep(MAIL)  # talking to the mail server
        print(f"worker: mail {n} sent")
    print("worker: queue empty, stopping")


async def main(requests: int = REQUESTS) -> None:
    # In production the worker is a process of its own and the queue lives in
    # a database or in Redis, so restarting the web server touches neither.
    # Here they are a queue and a task in the same program.
    jobs = asyncio.Queue()
    mailer = asyncio.create_task(worker(jobs))
    async with asyncio.TaskGroup() as server:
        for n in range(1, requests + 1):
            server.create_task(handle(n, jobs))
            await asyncio.sleep(GAP)
    print(f"server: stopping for a deploy, {jobs.qsize()} job(s) waiting in the queue")
    await jobs.put(None)  # only so that this program ends: stop once the queue is empty
    await mailer


if __name__ == "__main__":
    asyncio.run(main())
