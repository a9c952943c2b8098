"""A demo's prints go to the reader marked with the task that printed them."""

import asyncio
import json
import threading

from demos.reporting import RunReporter, _async_task_index, print, task  # noqa: A004 (the demos' own print)


@task
async def greet(name: str) -> None:
    print(f"hello from {name}")
    await asyncio.sleep(0)  # the others print in between
    print(f"bye from {name}")


async def run_program(program) -> tuple[RunReporter, list[dict]]:
    events: list[dict] = []
    reporter = RunReporter(asyncio.get_running_loop(), events.append)
    bound = reporter.bind()
    try:
        reporter.start()
        await program()
    finally:
        reporter.unbind(bound)
    return reporter, events


def printed(events: list[dict]) -> list[tuple[int | None, str]]:
    return [(event["task"], event["text"]) for event in events if event["type"] == "output"]


async def test_each_async_task_s_lines_carry_its_own_index():
    async def program() -> None:
        await asyncio.gather(greet("a"), greet("b"), greet("c"))

    _, events = await run_program(program)

    assert sorted(printed(events)) == [
        (0, "bye from a"), (0, "hello from a"),
        (1, "bye from b"), (1, "hello from b"),
        (2, "bye from c"), (2, "hello from c"),
    ]  # fmt: skip


async def test_a_task_awaited_directly_gives_the_outer_task_its_index_back():
    @task
    async def outer() -> None:
        print("before")
        await greet("inner")
        print("after")

    reporter, events = await run_program(outer)

    assert printed(events) == [
        (0, "before"), (1, "hello from inner"), (1, "bye from inner"), (0, "after"),
    ]  # fmt: skip
    assert [[line[1] for line in record["output"]] for record in reporter.tasks] == [
        ["before", "after"],
        ["hello from inner", "bye from inner"],
    ]


async def test_lines_printed_outside_any_task_belong_to_the_program():
    async def aside() -> None:
        print("from a plain asyncio task")

    @task
    async def starts_its_own() -> None:
        await asyncio.create_task(aside())

    async def program() -> None:
        print("from main")
        await starts_its_own()

    _, events = await run_program(program)

    assert printed(events) == [(None, "from main"), (None, "from a plain asyncio task")]


async def test_a_task_that_printed_nothing_is_stored_with_an_empty_output_list():
    @task
    async def quiet() -> None:
        await asyncio.sleep(0)

    reporter, _ = await run_program(quiet)

    assert json.loads(json.dumps(reporter.tasks))[0]["output"] == []


def test_sync_tasks_on_a_thread_mark_their_lines_too():
    @task
    def work(name: str) -> None:
        print(f"working on {name}")

    events: list[dict] = []
    loop = asyncio.new_event_loop()
    try:
        reporter = RunReporter(loop, events.append)

        def program() -> None:
            reporter.bind()
            reporter.start()
            print("starting")
            work("x")
            work("y")

        thread = threading.Thread(target=program)
        thread.start()
        thread.join()
        loop.run_until_complete(asyncio.sleep(0))  # deliver what the thread handed over
    finally:
        loop.close()

    assert printed(events) == [(None, "starting"), (0, "working on x"), (1, "working on y")]


async def test_async_tasks_leave_no_trace_once_done_or_cancelled():
    async def program() -> None:
        done = asyncio.gather(greet("a"), greet("b"))
        await done
        stopped = asyncio.ensure_future(greet("c"))
        await asyncio.sleep(0)  # it has printed its first line
        stopped.cancel()
        await asyncio.gather(stopped, return_exceptions=True)

    reporter, _ = await run_program(program)

    assert [record["ok"] for record in reporter.tasks] == [True, True, False]
    assert not _async_task_index  # no task is kept alive by the lookup
