"""A program's tasks and prints reach the reader, found from outside the program.

Programs call the built-in ``print`` and carry no decorator: their module is
given ``demos.reporting.print``, the loop a task factory, and a sync program's
calls from ``main`` are watched with ``sys.monitoring``.
"""

import asyncio
import gc
import json
import sys
import threading
import types

import pytest

from demos.instrument import instrument
from demos.reporting import (
    RunCancelled,
    RunReporter,
    TaskFactory,
    _async_task_index,
    install_task_factory,
    task_identity,
)

ASYNC_PROGRAM = """
import asyncio


async def greet(name):
    print(f"hello from {name}")
    await asyncio.sleep(0)  # the others print in between
    print(f"bye from {name}")


async def quiet():
    await asyncio.sleep(0)


async def outer():
    print("before")
    await greet("inner")  # a coroutine awaited: it runs in outer's task
    print("after")
"""

SYNC_PROGRAM = """
def helper(name):
    return name.upper()


def work(name):
    print(f"working on {helper(name)}")
    if name == "bad":
        raise ValueError("no")


def main():
    print("starting")
    work("x")
    try:
        work("bad")
    except Exception:
        pass  # one failing task does not stop the others
    work("y")


def cancelled_midway():
    work("x")
    stop()  # not the program's own: no task
    try:
        work("y")
    except Exception:
        pass  # does not swallow the cancel
    work("z")
"""


def load(source: str, name: str, *, sync: bool = False) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), vars(module))
    return instrument(module, sync=sync)


program = load(ASYNC_PROGRAM, "reporting_async_program")


@pytest.fixture
async def reported_loop():
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()
    install_task_factory(loop)
    yield loop
    loop.set_task_factory(before)


async def run_program(main, **params) -> tuple[RunReporter, list[dict]]:
    events: list[dict] = []
    reporter = RunReporter(asyncio.get_running_loop(), events.append, program=vars(program))
    bound = reporter.bind()
    try:
        reporter.start()
        await main(**params)
    finally:
        reporter.unbind(bound)
    return reporter, events


def printed(events: list[dict]) -> list[tuple[int | None, str]]:
    return [(event["task"], event["text"]) for event in events if event["type"] == "output"]


def test_the_program_prints_with_the_built_in_print_outside_a_run(capsys):
    sync_program = load(SYNC_PROGRAM, "reporting_plain_run", sync=True)
    sync_program.main()
    assert capsys.readouterr().out == "starting\nworking on X\nworking on BAD\nworking on Y\n"


@pytest.mark.usefixtures("reported_loop")
async def test_each_async_task_s_lines_carry_its_own_index():
    async def main() -> None:
        await asyncio.gather(program.greet("a"), program.greet("b"), program.greet("c"))

    reporter, events = await run_program(main)

    assert sorted(printed(events)) == [
        (0, "bye from a"), (0, "hello from a"),
        (1, "bye from b"), (1, "hello from b"),
        (2, "bye from c"), (2, "hello from c"),
    ]  # fmt: skip
    assert [record["ok"] for record in reporter.tasks] == [True, True, True]


@pytest.mark.usefixtures("reported_loop")
async def test_a_coroutine_awaited_directly_runs_in_the_task_that_awaits_it():
    async def main() -> None:
        await asyncio.create_task(program.outer())

    reporter, events = await run_program(main)

    assert printed(events) == [
        (0, "before"), (0, "hello from inner"), (0, "bye from inner"), (0, "after"),
    ]  # fmt: skip
    assert len(reporter.tasks) == 1


@pytest.mark.usefixtures("reported_loop")
async def test_main_and_tasks_of_code_outside_the_program_print_as_the_program():
    async def aside() -> None:  # this test module's, not the program's
        program.print("from a task that is not the program's")

    async def main() -> None:
        program.print("from main")
        await asyncio.create_task(aside())

    reporter, events = await run_program(main)

    assert printed(events) == [
        (None, "from main"), (None, "from a task that is not the program's"),
    ]  # fmt: skip
    assert reporter.tasks == []


@pytest.mark.usefixtures("reported_loop")
async def test_a_task_that_printed_nothing_is_stored_with_an_empty_output_list():
    async def main() -> None:
        await asyncio.create_task(program.quiet())

    reporter, _ = await run_program(main)

    assert json.loads(json.dumps(reporter.tasks))[0]["output"] == []


@pytest.mark.usefixtures("reported_loop")
async def test_async_tasks_leave_no_trace_once_done_or_cancelled():
    async def main() -> None:
        await asyncio.gather(program.greet("a"), program.greet("b"))
        stopped = asyncio.ensure_future(program.greet("c"))
        await asyncio.sleep(0)  # it has printed its first line
        stopped.cancel()
        await asyncio.gather(stopped, return_exceptions=True)

    reporter, _ = await run_program(main)

    assert [record["ok"] for record in reporter.tasks] == [True, True, False]
    assert reporter.tasks[2]["error"] == "cancelled"
    assert not _async_task_index  # no task is kept alive by the lookup


async def test_the_factory_is_installed_once_and_keeps_the_one_the_loop_had():
    loop = asyncio.get_running_loop()
    made = []

    def earlier(loop, coro, **kwargs):
        made.append(task_identity(coro))  # asked as the tracer asks, before it starts
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(earlier)
    try:
        install_task_factory(loop)
        install_task_factory(loop)
        factory = loop.get_task_factory()
        assert isinstance(factory, TaskFactory)
        assert factory.inner is earlier

        reporter, _ = await run_program(lambda: asyncio.gather(program.greet("a")))
    finally:
        loop.set_task_factory(None)

    assert made == [("greet", 0)], "the earlier factory made the program's task"
    assert reporter.tasks[0]["ok"] is True


def run_sync(module: types.ModuleType, main, reporter_ready=None) -> tuple[RunReporter, list]:
    events: list[dict] = []
    outcome: list[BaseException] = []
    loop = asyncio.new_event_loop()
    try:
        reporter = RunReporter(loop, events.append, sync_main=main.__code__)
        if reporter_ready is not None:
            reporter_ready(reporter)

        def thread_body() -> None:
            reporter.bind()
            reporter.start()
            try:
                main()
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=thread_body)
        thread.start()
        thread.join()
        loop.run_until_complete(asyncio.sleep(0))  # deliver what the thread handed over
    finally:
        loop.close()
    return reporter, events, outcome


def test_each_call_a_sync_main_makes_to_the_program_is_a_task():
    module = load(SYNC_PROGRAM, "reporting_sync_program", sync=True)

    reporter, events, outcome = run_sync(module, module.main)

    assert outcome == []
    assert printed(events) == [
        (None, "starting"), (0, "working on X"), (1, "working on BAD"), (2, "working on Y"),
    ]  # fmt: skip
    assert [(record["ok"], record.get("error")) for record in reporter.tasks] == [
        (True, None), (False, "ValueError: no"), (True, None),
    ]  # fmt: skip
    assert [e["type"] for e in events if e["type"] != "output"] == [
        "task_started", "task_finished"
    ] * 3  # fmt: skip


def test_a_cancelled_sync_run_stops_before_its_next_task_whatever_it_catches():
    module = load(SYNC_PROGRAM, "reporting_sync_cancelled", sync=True)

    def ready(reporter: RunReporter) -> None:
        module.stop = lambda: setattr(reporter, "cancel_requested", True)

    reporter, events, outcome = run_sync(module, module.cancelled_midway, ready)

    assert [type(exc) for exc in outcome] == [RunCancelled]
    assert printed(events) == [(0, "working on X")]
    assert len(reporter.tasks) == 1


def test_a_sync_run_cancelled_during_a_task_stops_at_its_next_print():
    module = load(SYNC_PROGRAM, "reporting_sync_cancelled_inside", sync=True)

    def ready(reporter: RunReporter) -> None:
        module.helper = lambda name: setattr(reporter, "cancel_requested", True) or name

    reporter, events, outcome = run_sync(module, module.main, ready)

    assert [type(exc) for exc in outcome] == [RunCancelled]
    assert printed(events) == [(None, "starting")]
    assert [(record["ok"], record["error"]) for record in reporter.tasks] == [(False, "cancelled")]


@pytest.mark.usefixtures("reported_loop")
async def test_a_task_cancelled_before_it_began_leaves_no_coroutine_never_awaited(recwarn):
    async def main() -> None:
        waiting = [asyncio.ensure_future(program.greet(name)) for name in "ab"]
        for task in waiting:
            task.cancel()  # before their first step
        await asyncio.gather(*waiting, return_exceptions=True)

    reporter, events = await run_program(main)
    reporter.close_unstarted()  # as the runner does when the run ends
    del reporter
    for _ in range(3):
        await asyncio.sleep(0)  # the loop lets go of the tasks' last steps
    gc.collect()

    assert printed(events) == []
    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []


@pytest.mark.usefixtures("reported_loop")
async def test_a_task_that_had_not_begun_when_the_run_ended_does_not_run_after_it():
    async def main() -> None:
        asyncio.ensure_future(program.greet("late"))  # noqa: RUF006 (never awaited, on purpose)

    reporter, events = await run_program(main)
    reporter.close_unstarted()
    await asyncio.sleep(0.01)

    assert printed(events) == []
    assert reporter.tasks[0]["start"] is None


@pytest.mark.usefixtures("reported_loop")
async def test_print_takes_what_the_built_in_takes(capsys):
    async def main() -> None:
        program.print("a", "b", sep=None, end=None, flush=True)
        program.print("to the console", file=sys.stdout)
        program.print("not the console's", file=sys.stderr)

    _, events = await run_program(main)

    assert printed(events) == [(None, "a b"), (None, "to the console")]
    assert capsys.readouterr().err == "not the console's\n"
