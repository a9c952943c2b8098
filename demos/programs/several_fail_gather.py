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
        await asyncio.gather(parse(data), store(data), report(REPORT))
    except (ValueError, ConnectionError) as error:
        print(f"main: gather raised {error!r}")
    await asyncio.sleep(REPORT)  # time enough to see what becomes of the report
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
