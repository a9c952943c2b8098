"""The event-loop tracer (demos.tracer) on small programs (tests/trace_programs).

Plain Python: no Django, no database. The file also runs on its own, on any
Python the tracer supports: ``python -m pytest tests/test_tracer.py -p no:django
--noconftest`` (``make test-tracer-3.13``). Durations are tiny and bounds
tolerant; what these tests pin is what the records say, not how fast.

Some tests guard facts of asyncio the tracer relies on and that a new Python
may change; their names say so (``..._on_this_python``).
"""

import ast
import asyncio
import gc
import http.server
import importlib.util
import itertools
import json
import logging
import sys
import threading
import time
import types
import weakref
from pathlib import Path
from typing import Any

import pytest

import demos.tracer
from demos.tracer import Tracer, _code_tree, _is_step, private_program
from tests.trace_programs import blocking, failures, family, ordering, sleepers, waits


def marker_line(module: types.ModuleType, marker: str) -> int:
    """The line of ``module`` carrying the comment ``# marker: <marker>``."""
    lines = Path(module.__file__).read_text().splitlines()
    found = [n for n, text in enumerate(lines, 1) if text.endswith(f"# marker: {marker}")]
    assert len(found) == 1, f"{marker!r} is on {len(found)} lines"
    return found[0]


def trace(
    module: types.ModuleType,
    entry: str = "main",
    /,
    *,
    options: dict[str, Any] | None = None,
    **params: Any,
) -> tuple[Tracer, Any]:
    """Run ``module.entry(**params)`` traced on the tracer's loop: the closed tracer, the result."""
    program = private_program(module)
    tracer = Tracer(program, **(options or {}))
    try:
        with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
            tracer.begin(time.perf_counter())
            result = runner.run(getattr(program, entry)(**params))
    finally:
        tracer.close()
    return tracer, result


def of_kind(tracer: Tracer, kind: str) -> list[dict[str, Any]]:
    return sorted((r for r in tracer.records if r["kind"] == kind), key=lambda r: r["t"])


def steps_of(tracer: Tracer, task: int) -> list[dict[str, Any]]:
    return [r for r in of_kind(tracer, "step") if r["task"] == task]


def task_named(tracer: Tracer, name: str) -> int:
    (number,) = [r["task"] for r in of_kind(tracer, "task_created") if r["name"] == name]
    return number


def tracer_tool() -> int:
    ids = [i for i in range(6) if sys.monitoring.get_tool(i) == "demos.tracer"]
    assert len(ids) == 1
    return ids[0]


def line_events(function: Any) -> int:
    return sys.monitoring.get_local_events(tracer_tool(), function.__code__)


# ---------------------------------------------------------------------------
# The module and the private program


def test_the_tracer_imports_the_standard_library_only():
    tree = ast.parse(Path(demos.tracer.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {  # a relative import starts with a dot: never the standard library
        "." * node.level + (node.module or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }

    assert {name.split(".")[0] for name in imported} <= sys.stdlib_module_names


def test_a_private_program_runs_code_of_its_own_from_the_same_file():
    first, second = private_program(sleepers), private_program(sleepers)

    assert first.nap.__code__ is not sleepers.nap.__code__
    assert first.nap.__code__ is not second.nap.__code__
    assert first.nap.__code__.co_filename == sleepers.nap.__code__.co_filename
    assert first.nap.__code__.co_firstlineno == sleepers.nap.__code__.co_firstlineno
    assert sys.modules["tests.trace_programs.sleepers"] is sleepers


def test_two_private_copies_share_no_code_object():
    first, second = private_program(blocking), private_program(blocking)
    first_codes = _code_tree(first.__private_code__)
    second_ids = {id(code) for code in _code_tree(second.__private_code__)}

    assert "hold" in [code.co_name for code in first_codes]  # nested in in_a_callback
    assert second_ids.isdisjoint(id(code) for code in first_codes)


def test_a_private_copy_is_made_from_the_file_as_it_is_now(tmp_path):
    path = tmp_path / "changing.py"
    path.write_text("def answer():\n    return 1\n")
    spec = importlib.util.spec_from_file_location("changing", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert private_program(module).answer() == 1

    path.write_text("def answer():\n    return 22\n")

    assert private_program(module).answer() == 22


def test_a_tracer_refuses_a_module_that_is_not_a_private_copy():
    with pytest.raises(ValueError, match="private_program"):
        Tracer(sleepers)


# ---------------------------------------------------------------------------
# Tasks and their steps


def test_a_sleeping_task_waits_for_its_sleep():
    tracer, _ = trace(sleepers, tasks=3, seconds=0.01)

    created = of_kind(tracer, "task_created")
    assert [r["task"] for r in created] == [0, 1, 2, 3]
    assert [r["name"] for r in created] == ["main", "nap", "nap", "nap"]
    for task in (1, 2, 3):
        first, last = steps_of(tracer, task)
        assert first["awaits"] == "sleep 0.01 s"
        assert first["line"] == marker_line(sleepers, "nap sleeps")
        assert first["state"] == "waiting"
        assert last["state"] == "done"
        assert last["awaits"] is None
        assert last["start"] - first["end"] >= 0.009
        for step in (first, last):
            assert step["t"] == step["start"] <= step["end"]
            assert step["ready"] <= step["start"]


def test_a_task_awaiting_gather_waits_for_gather_at_its_line():
    tracer, _ = trace(sleepers, tasks=2, seconds=0.001)

    first, last = steps_of(tracer, 0)
    assert first["awaits"] == "gather"
    assert first["line"] == marker_line(sleepers, "main gathers")
    assert last["state"] == "done"


def test_task_created_records_parent_and_line():
    tracer, _ = trace(family)

    created = {r["task"]: r for r in of_kind(tracer, "task_created")}
    assert created[0] | {"t": None} == {
        "kind": "task_created",
        "t": None,
        "task": 0,
        "name": "main",
        "parent": None,  # made by the runner, outside the program
        "line": None,
        "lane": None,
    }
    assert (created[1]["name"], created[1]["parent"]) == ("child", 0)
    assert created[1]["line"] == marker_line(family, "main makes child")
    assert (created[2]["name"], created[2]["parent"]) == ("grandchild", 1)
    assert created[2]["line"] == marker_line(family, "child makes grandchild")
    assert created[0]["t"] <= created[1]["t"] <= created[2]["t"]


def test_a_task_awaiting_another_waits_for_it_by_number():
    tracer, _ = trace(family)

    assert steps_of(tracer, 0)[0]["awaits"] == "task 1"
    assert steps_of(tracer, 0)[0]["line"] == marker_line(family, "main awaits child")
    assert steps_of(tracer, 1)[0]["awaits"] == "task 2"


def test_tasks_waiting_on_asyncio_primitives_say_which():
    tracer, _ = trace(waits)

    first_waits = {
        name: steps_of(tracer, task_named(tracer, name))[0]["awaits"]
        for name in ("on_event", "on_lock", "on_queue", "on_condition", "on_semaphore")
    }
    assert first_waits == {
        "on_event": "Event.wait",
        "on_lock": "Lock.acquire",
        "on_queue": "Queue.get",
        "on_condition": "Condition.wait",
        "on_semaphore": "Semaphore.acquire",
    }


def test_ready_time_is_the_wait_between_wakeup_and_step():
    block = 0.03
    tracer, _ = trace(waits, "woken_while_the_loop_is_held", block=block)

    waker = steps_of(tracer, 0)[1]  # the step that sets the event, then holds the loop
    waiter_first, waiter_woken = steps_of(tracer, 1)
    assert waiter_first["awaits"] == "Event.wait"
    # Queued as the event was set, inside the waker's step; run only after it.
    assert waker["start"] <= waiter_woken["ready"] <= waker["end"] - block * 0.9
    assert waiter_woken["start"] >= waker["end"]
    assert waiter_woken["start"] - waiter_woken["ready"] >= block * 0.9


def test_a_future_resolved_by_a_callback():
    tracer, result = trace(ordering, "resolved_by_a_callback", delay=0.01)

    assert result == 42
    waiting, resumed = steps_of(tracer, 0)
    assert (waiting["awaits"], waiting["state"]) == ("future", "waiting")
    assert waiting["line"] == marker_line(ordering, "main awaits the future")
    timers = [timer for turn in of_kind(tracer, "turn") for timer in turn["timers"]]
    # A plain callback wakes no task by itself: it is named alone.
    assert "Future.set_result" in [timer["wakes"] for timer in timers]
    # Ready when the timer's callback set the result, a moment before it ran.
    assert resumed["ready"] >= waiting["end"] + 0.009
    assert resumed["state"] == "done"


# ---------------------------------------------------------------------------
# Failures and cancellation


def test_gather_lets_the_others_finish_when_one_task_fails():
    tracer, _ = trace(failures, "with_gather")

    states = {r["name"]: r["task"] for r in of_kind(tracer, "task_created")}
    assert steps_of(tracer, states["broken"])[-1]["state"] == "failed"
    assert steps_of(tracer, states["fine"])[-1]["state"] == "done"
    assert steps_of(tracer, 0)[0]["awaits"] == "gather"
    assert steps_of(tracer, 0)[-1]["state"] == "done"


def test_a_task_group_cancels_the_others_when_one_task_fails():
    tracer, _ = trace(failures, "with_task_group")

    states = {r["name"]: r["task"] for r in of_kind(tracer, "task_created")}
    assert steps_of(tracer, states["broken"])[-1]["state"] == "failed"
    assert steps_of(tracer, states["fine"])[-1]["state"] == "cancelled"
    assert steps_of(tracer, 0)[0]["awaits"] == "TaskGroup"
    assert steps_of(tracer, 0)[-1]["state"] == "done"


def test_a_failed_task_keeps_its_exception_unretrieved(caplog):
    # The state "failed" is read from Future._log_traceback, not by taking the
    # exception: asyncio must still say nobody asked for it.
    caplog.set_level(logging.ERROR, logger="asyncio")
    tracer, _ = trace(failures, "left_alone")
    gc.collect()

    assert steps_of(tracer, 1)[-1]["state"] == "failed"
    assert "exception was never retrieved" in caplog.text


def test_a_failing_main_is_recorded_failed():
    program = private_program(failures)
    tracer = Tracer(program)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        tracer.begin(time.perf_counter())
        with pytest.raises(ValueError, match="broken"):
            runner.run(program.broken(0))
    tracer.close()

    assert steps_of(tracer, 0)[-1]["state"] == "failed"


# ---------------------------------------------------------------------------
# Turns


def test_turns_count_callbacks_and_know_what_woke_them():
    tracer, _ = trace(sleepers, tasks=3, seconds=0.02)

    turns = of_kind(tracer, "turn")
    first = turns[0]
    assert first["ready"] == ["task 0 step"]
    assert (first["woke_by"], first["timeout"], first["callbacks"]) == ("ready", 0, 1)
    # The three naps' first steps, then a wait for their timers.
    starting = next(t for t in turns if t["ready"] == ["task 1 step", "task 2 step", "task 3 step"])
    assert starting["callbacks"] == 3
    waiting = next(t for t in turns if t["woke_by"] == "timer")
    assert [timer["wakes"] for timer in waiting["timers"]] == [
        "task 1 (sleep 0.02 s)",
        "task 2 (sleep 0.02 s)",
        "task 3 (sleep 0.02 s)",
    ]
    dues = [timer["due"] for timer in waiting["timers"]]
    assert dues == sorted(dues)
    assert waiting["timeout"] > 0.015
    assert waiting["select_wait"] >= 0.015
    # However the three timers were spread over turns, each woke its task.
    timer_callbacks = sum(t["callbacks"] for t in turns if t["woke_by"] == "timer")
    assert timer_callbacks == 3
    for before, after in itertools.pairwise(turns):
        assert before["end"] == after["start"]
        # Each figure is rounded to the microsecond on its own.
        assert before["start"] + before["select_wait"] <= before["end"] + 2e-6


def test_a_turn_lists_the_soonest_live_timers():
    tracer, _ = trace(sleepers, "many", count=30)

    waiting = next(t for t in of_kind(tracer, "turn") if len(t["timers"]) == 20)
    wakes = [timer["wakes"] for timer in waiting["timers"]]
    assert wakes[0] == "task 1 (sleep 0.01 s)"
    assert wakes[19] == "task 20 (sleep 0.029 s)"
    dues = [timer["due"] for timer in waiting["timers"]]
    assert dues == sorted(dues)
    assert all("print" not in label for turn in of_kind(tracer, "turn") for label in turn["ready"])


def test_callbacks_queued_from_another_thread_are_counted():
    tracer, ran = trace(ordering, "from_a_busy_thread", calls=500)

    assert ran == 500
    turns = of_kind(tracer, "turn")
    steps = of_kind(tracer, "step")
    assert sum(t["callbacks"] for t in turns) >= 500 + len(steps)


def test_call_soon_call_later_and_create_task_run_in_queue_order():
    tracer, order = trace(ordering)

    assert order == ["soon", "task", "later"]
    turn = next(t for t in of_kind(tracer, "turn") if "task 1 step" in t["ready"])
    # As the turn began: two callbacks queued in the order they were asked
    # for, then main's own next step; the call_later(0) timer already due.
    assert turn["ready"] == ["list.append", "task 1 step", "task 0 step"]
    assert [timer["wakes"] for timer in turn["timers"]] == ["list.append"]
    assert turn["callbacks"] == 4
    assert turn["woke_by"] == "ready"
    child_step, main_step = steps_of(tracer, 1)[0], steps_of(tracer, 0)[1]
    assert turn["start"] < child_step["start"] < main_step["start"] < turn["end"]
    assert steps_of(tracer, 0)[0]["line"] == marker_line(ordering, "main yields")
    assert steps_of(tracer, 0)[0]["awaits"] == "sleep 0 s"


def test_a_callback_from_another_thread_wakes_the_loop_by_io():
    tracer, _ = trace(ordering, "from_another_thread")

    assert "io" in [t["woke_by"] for t in of_kind(tracer, "turn")]


# ---------------------------------------------------------------------------
# Blocking


def held_at_least(tracer: Tracer, seconds: float) -> list[dict[str, Any]]:
    # A busy machine may stall any callback past the threshold: these tests
    # look at the ones they made hold the loop on purpose.
    return [r for r in of_kind(tracer, "blocked") if r["end"] - r["start"] >= seconds]


def test_time_sleep_is_reported_as_blocking_at_its_line():
    tracer, _ = trace(blocking, block=0.05)

    (blocked,) = held_at_least(tracer, 0.045)
    assert blocked["line"] == marker_line(blocking, "main blocks")
    assert blocked["task"] == 0
    assert blocked["end"] - blocked["start"] >= 0.045
    holding = next(s for s in steps_of(tracer, 0) if s["start"] == blocked["start"])
    assert holding["end"] == blocked["end"]


def test_a_plain_callback_that_blocks_is_reported_without_a_task():
    tracer, _ = trace(blocking, "in_a_callback", block=0.05)

    (blocked,) = held_at_least(tracer, 0.045)
    assert (blocked["task"], blocked["line"]) == (None, marker_line(blocking, "callback blocks"))


def test_an_io_callback_that_blocks_is_reported_without_a_task():
    tracer, _ = trace(blocking, "in_an_io_callback", block=0.05)

    (blocked,) = held_at_least(tracer, 0.045)
    assert (blocked["task"], blocked["line"]) == (None, marker_line(blocking, "reader blocks"))
    (turn,) = [t for t in of_kind(tracer, "turn") if t["start"] < blocked["start"] < t["end"]]
    assert turn["woke_by"] == "io"


def test_the_programs_code_in_another_thread_does_not_block_the_loop():
    tracer, _ = trace(blocking, "in_a_thread", block=0.05)

    assert held_at_least(tracer, 0.045) == []
    first = steps_of(tracer, 0)[0]
    assert (first["awaits"], first["line"]) == (
        "to_thread",
        marker_line(blocking, "main waits for its thread"),
    )


def test_lines_run_by_another_thread_meanwhile_do_not_hide_the_blocking_one():
    tracer, _ = trace(blocking, "blocked_beside_a_thread", block=0.05)

    assert [r["line"] for r in held_at_least(tracer, 0.045)] == [
        marker_line(blocking, "main blocks beside a thread")
    ]


def test_short_callbacks_are_not_blocking():
    tracer, _ = trace(blocking, block=0.002, options={"blocked_after": 0.05})

    assert of_kind(tracer, "blocked") == []


def test_blocked_after_is_the_threshold():
    tracer, _ = trace(blocking, block=0.01, options={"blocked_after": 0.005})

    assert [b["line"] for b in held_at_least(tracer, 0.009)] == [
        marker_line(blocking, "main blocks")
    ]


def test_a_program_spinning_through_many_lines_pays_for_a_bounded_number(monkeypatch):
    monkeypatch.setattr("demos.tracer.LINE_BUDGET", 1000)
    program = private_program(blocking)
    tracer = Tracer(program)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        tracer.begin(time.perf_counter())
        runner.run(program.spinning(5000))
        assert line_events(program.spinning) == 0
    tracer.close()


# ---------------------------------------------------------------------------
# Showing: names, lanes, lines


def test_identify_and_line_of_shape_what_the_reader_sees():
    nap_line = marker_line(sleepers, "nap sleeps")

    def identify(coro):
        return (f"reader's {coro.__qualname__}", 7 if coro.__qualname__ == "nap" else None)

    tracer, _ = trace(
        sleepers,
        tasks=1,
        seconds=0.001,
        options={"identify": identify, "line_of": lambda line: 1 if line == nap_line else None},
    )

    created = of_kind(tracer, "task_created")
    assert [(r["name"], r["lane"], r["line"]) for r in created] == [
        ("reader's main", None, None),
        ("reader's nap", 7, None),  # made at main's gather line, not shown
    ]
    assert steps_of(tracer, 1)[0]["line"] == 1
    assert steps_of(tracer, 0)[0]["line"] is None


def test_records_are_plain_json():
    tracer, _ = trace(ordering)

    assert json.loads(json.dumps(tracer.records)) == tracer.records


# ---------------------------------------------------------------------------
# Bounds, threads, cleanup


def test_records_stop_at_the_limit_with_a_truncated_record():
    program = private_program(sleepers)
    tracer = Tracer(program, max_records=10)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        tracer.begin(time.perf_counter())
        runner.run(program.steps(200))
        assert tracer.truncated
        assert line_events(program.steps) == 0  # recording stopped, monitoring too
    tracer.close()

    assert len(tracer.records) == 11
    assert tracer.records[-1]["kind"] == "truncated"
    assert tracer.records[-1]["limit"] == 10
    assert [r["kind"] for r in tracer.records].count("truncated") == 1


def test_nothing_is_recorded_before_begin():
    program = private_program(sleepers)
    tracer = Tracer(program)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        runner.run(program.steps(3))
        assert tracer.records == []
        tracer.begin(time.perf_counter())
        runner.run(program.nap(0))
    tracer.close()

    assert [r["name"] for r in of_kind(tracer, "task_created")] == ["nap"]
    assert min(r["t"] for r in tracer.records) >= 0


def test_drain_hands_each_record_once_to_another_thread():
    program = private_program(sleepers)
    tracer = Tracer(program)
    origin = time.perf_counter()

    def run() -> None:
        with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
            tracer.begin(origin)
            runner.run(program.steps(300))

    thread = threading.Thread(target=run)
    thread.start()
    drained: list[dict[str, Any]] = []
    while thread.is_alive():
        drained.extend(tracer.drain())
        time.sleep(0.0005)
    thread.join()
    drained.extend(tracer.drain())
    tracer.close()

    assert len(tracer.records) > 600
    assert drained == tracer.records


def test_other_runs_code_is_not_traced():
    traced, other = private_program(blocking), private_program(blocking)
    tracer = Tracer(traced, blocked_after=0.04)
    other_run = threading.Thread(target=asyncio.run, args=(other.main(0.05),))
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        tracer.begin(time.perf_counter())

        async def check() -> dict[str, int]:
            other_run.start()
            events = {
                "traced": line_events(traced.main),
                "other copy": line_events(other.main),
                "module itself": line_events(blocking.main),
            }
            await traced.main(0.001)
            await asyncio.sleep(0.06)  # while the other copy blocks its own loop
            return events

        events = runner.run(check())
    other_run.join()
    tracer.close()

    assert events == {"traced": sys.monitoring.events.LINE, "other copy": 0, "module itself": 0}
    assert of_kind(tracer, "blocked") == []
    assert line_events(traced.main) == 0  # close turned it off


def test_the_program_is_freed_after_close():
    program = private_program(family)
    tracer = Tracer(program)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        tracer.begin(time.perf_counter())
        runner.run(program.main())
    tracer.close()
    held = [weakref.ref(program), weakref.ref(program.child.__code__)]
    del program, runner
    gc.collect()

    assert [ref() for ref in held] == [None, None]
    assert len(of_kind(tracer, "task_created")) == 3  # the records stay


def test_close_is_idempotent():
    tracer, _ = trace(sleepers, tasks=1, seconds=0)
    records = list(tracer.records)
    tracer.close()

    assert tracer.records == records


# ---------------------------------------------------------------------------
# A real aiohttp request


class _SlowCity(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(0.03)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_aiohttp_request_waits_for_get_and_its_city():
    pytest.importorskip("aiohttp")
    from tests.trace_programs import http_get

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowCity)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/services/json/paris"
        tracer, body = trace(http_get, url=url)
    finally:
        server.shutdown()
        server.server_close()

    assert body == '{"ok": true}'
    assert "GET paris" in [s["awaits"] for s in steps_of(tracer, 0)]
    assert "io" in [t["woke_by"] for t in of_kind(tracer, "turn")]


# ---------------------------------------------------------------------------
# Facts of asyncio the tracer relies on, checked on the Python running the tests


def test_task_steps_are_callbacks_bound_to_their_task_on_this_python():
    seen: list[tuple[Any, Any]] = []

    class Loop(asyncio.SelectorEventLoop):
        def call_soon(self, callback, *args, context=None):
            seen.append((callback, args))
            return super().call_soon(callback, *args, context=context)

    async def child() -> None:
        await asyncio.sleep(0)  # a step queued by the task itself
        await asyncio.sleep(0.001)  # a wakeup queued by the sleep's future

    async def main() -> None:
        await asyncio.create_task(child())

    with asyncio.Runner(loop_factory=Loop) as runner:
        runner.run(main())

    steps = [callback for callback, _ in seen if _is_step(callback)]
    bound_to_tasks = [
        cb for cb, _ in seen if isinstance(getattr(cb, "__self__", None), asyncio.Task)
    ]
    assert steps == bound_to_tasks
    # A first step or a resumption after a bare yield, and a wakeup by a future.
    names = {getattr(step, "__name__", type(step).__name__) for step in steps}
    assert names == {"TaskStepMethWrapper", "task_wakeup"}
    assert len(steps) >= 6


def test_sleep_keeps_its_delay_in_a_local_named_delay_on_this_python():
    assert asyncio.sleep.__code__.co_varnames[0] == "delay"


def test_what_a_task_awaits_is_its_fut_waiter_on_this_python():
    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        waiter = asyncio.create_task(_await(future))
        await asyncio.sleep(0)
        assert waiter._fut_waiter is future
        future.set_result(None)
        await waiter

    asyncio.run(main())


async def _await(future: asyncio.Future[Any]) -> Any:
    return await future


def test_gather_returns_a_future_of_its_own_class_on_this_python():
    async def main() -> str:
        gathering = asyncio.gather(asyncio.sleep(0))
        await gathering
        return type(gathering).__name__

    assert asyncio.run(main()) == "_GatheringFuture"


def test_a_failed_task_says_so_by_log_traceback_on_this_python():
    async def main() -> None:
        task = asyncio.create_task(failures.broken(0))
        await asyncio.sleep(0.001)
        assert task._log_traceback is True
        assert isinstance(task.exception(), ValueError)
        assert task._log_traceback is False

    asyncio.run(main())
