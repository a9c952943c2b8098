import asyncio

DELAY = 0.5


def deliver(future: asyncio.Future[str]) -> None:
    print("callback: puts a result in the future")
    future.set_result("a parcel")


async def main(delay: float = DELAY) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(delay, deliver, future)
    print(f"main: is the future done? {future.done()}")
    parcel = await future  # the task waits here until the callback fills it
    print(f"main: got {parcel!r}; is the future done? {future.done()}")


if __name__ == "__main__":
    asyncio.run(main())
