import asyncio

DELAY = 0.5


def lose(future: asyncio.Future[str]) -> None:
    print("callback: puts an exception in the future")
    future.set_exception(LookupError("the parcel was lost"))


async def main(delay: float = DELAY) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(delay, lose, future)
    print(f"main: is the future done? {future.done()}")
    try:
        await future  # raises what the callback put in
    except LookupError as error:
        print(f"main: await raised {error!r}; is the future done? {future.done()}")


if __name__ == "__main__":
    asyncio.run(main())
