import asyncio


async def job(name: str, seconds: float, fails: bool = False) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    if fails:
        raise ValueError(f"{name} failed")
    print(f"{name}: done after {seconds} s")
    return name


async def main() -> None:
    try:
        await asyncio.gather(job("quick", 0.1), job("faulty", 0.2, fails=True), job("slow", 0.4))
    except ValueError as error:
        print(f"main: gather raised {error!r}")
    await asyncio.sleep(0.3)  # time enough to see what became of the slow job
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
