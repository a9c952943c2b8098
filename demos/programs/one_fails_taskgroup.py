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
        async with asyncio.TaskGroup() as group:
            group.create_task(job("quick", 0.1))
            group.create_task(job("faulty", 0.2, fails=True))
            group.create_task(job("slow", 0.4))
    except* ValueError as errors:
        print(f"main: the group raised {errors.exceptions!r}")
    await asyncio.sleep(0.3)  # the same wait as with gather, for a fair comparison
    print("main: done")


if __name__ == "__main__":
    asyncio.run(main())
