import asyncio

ARRIVES = 0.2  # when the data comes in, in seconds
REPORT = 0.5  # how long the report takes


async def parse(data: asyncio.Event) -> None:
    await data.wait()
    raise ValueError("line 3 is not a number")


async def store(data: asyncio.Event) -> None:
    await data.wait()
    raise ConnectionError("the database is down")


async def report(seconds: float) -> None:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print("report: cancelled")
        raise
    print(f"report: done after {seconds} s")


async def main() -> None:
    data = asyncio.Event()
    # The data comes in: parse and store both wake up, in the same turn of the loop.
    asyncio.get_running_loop().call_later(ARRIVES, data.set)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(parse(data))
            group.create_task(store(data))
            group.create_task(report(REPORT))
    except* ValueError as errors:
        print(f"main: except* ValueError got {errors.exceptions!r}")
    except* ConnectionError as errors:
        print(f"main: except* ConnectionError got {errors.exceptions!r}")
    await asyncio.sleep(REPORT)  # the same wait as with gather, for a fair comparison
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
