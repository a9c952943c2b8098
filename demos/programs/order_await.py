import asyncio


async def greet(who: str) -> None:
    print(f"{who}: first half")
    await asyncio.sleep(0)  # hands the loop one turn
    print(f"{who}: second half")


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, print, "call_later: 10 ms on")
    loop.call_soon(print, "call_soon: the next turn")
    print("main: awaits greet()")
    await greet("coroutine")  # runs at once, inside main's own task
    print("main: greet() is done")
    await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main())
