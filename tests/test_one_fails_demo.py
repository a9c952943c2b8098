"""When one task of three fails: gather lets the others run on, a TaskGroup cancels them."""

import pytest

from tests.demo_runs import ends, lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def run(mode: str) -> tuple[dict, list[dict]]:
    return await run_demo("one_fails", mode, trace=True)


async def test_with_gather_the_slow_job_runs_on_after_main_has_the_error():
    finished, events = await run("sync")
    assert finished["status"] == "failed"  # a task failed, on purpose
    assert lines(events) == [
        "quick: done after 0.1 s",
        "main: gather raised ValueError('faulty failed')",
        "slow: done after 0.4 s",
        "main: done",
    ]
    slow = ends(events)[2]
    assert slow["ok"] is True
    assert 0.39 <= slow["t"] < 0.5
    assert 0.49 <= finished["elapsed"] < 0.7


async def test_with_a_task_group_the_slow_job_is_cancelled_when_the_faulty_one_fails():
    finished, events = await run("async")
    assert finished["status"] == "failed"
    assert lines(events) == [
        "quick: done after 0.1 s",
        "slow: cancelled",
        "main: the group raised (ValueError('faulty failed'),)",
        "main: done",
    ]
    faulty, slow = ends(events)[1], ends(events)[2]
    assert faulty["error"] == "ValueError: faulty failed"
    assert slow["error"] == "cancelled"
    assert 0.19 <= slow["t"] < 0.3
    assert slow["t"] >= faulty["t"]
    records = [r for e in events if e["type"] == "trace" for r in e["records"]]
    slow_task = next(r["task"] for r in records if r["kind"] == "task_created" and r["lane"] == 2)
    last = max(
        (r for r in records if r["kind"] == "step" and r["task"] == slow_task), key=lambda r: r["t"]
    )
    assert last["state"] == "cancelled"
