import asyncio

TASKS = 3
SECONDS = 2.0


async def say_hello(seconds: float) -> None:
    await asyncio.sleep(seconds)  # only this task waits; the loop runs the others
    print("Hello")


async def main(tasks: int = TASKS, seconds: float = SECONDS) -> None:
    await asyncio.gather(*(say_hello(seconds) for _ in range(tasks)))


if __name__ == "__main__":
    asyncio.run(main())
