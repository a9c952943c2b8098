"""Two tasks fail at once: gather raises one error and drops the other, a TaskGroup raises both."""

import pytest

from tests.demo_runs import ends, lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def run(mode: str) -> tuple[dict, list[dict]]:
    return await run_demo("several_fail", mode, trace=True)


async def test_gather_raises_the_first_error_only_and_the_report_runs_on():
    finished, events = await run("sync")
    assert finished["status"] == "failed"  # two tasks fail, on purpose
    assert lines(events) == [
        "main: gather raised ValueError('line 3 is not a number')",
        "report: done after 0.5 s",
        "main: done",
    ]
    parse, store, report = ends(events)[0], ends(events)[1], ends(events)[2]
    # Both failed, in the same turn of the loop; main heard of the first only.
    assert parse["error"] == "ValueError: line 3 is not a number"
    assert store["error"] == "ConnectionError: the database is down"
    assert 0.19 <= parse["t"] <= store["t"] < 0.3
    assert report["ok"] is True
    assert 0.49 <= report["t"] < 0.6
    assert 0.69 <= finished["elapsed"] < 0.9


async def test_a_task_group_raises_both_errors_and_cancels_the_report():
    finished, events = await run("async")
    assert finished["status"] == "failed"
    assert lines(events) == [
        "report: cancelled",
        "main: except* ValueError got (ValueError('line 3 is not a number'),)",
        "main: except* ConnectionError got (ConnectionError('the database is down'),)",
        "main: done",
    ]
    parse, store, report = ends(events)[0], ends(events)[1], ends(events)[2]
    assert parse["error"] == "ValueError: line 3 is not a number"
    assert store["error"] == "ConnectionError: the database is down"
    assert report["error"] == "cancelled"
    assert 0.19 <= parse["t"] <= store["t"] <= report["t"] < 0.3
    assert 0.69 <= finished["elapsed"] < 0.9
    records = [r for e in events if e["type"] == "trace" for r in e["records"]]
    report_task = next(r["task"] for r in records if r["kind"] == "task_created" and r["lane"] == 2)
    last = max(
        (r for r in records if r["kind"] == "step" and r["task"] == report_task),
        key=lambda r: r["t"],
    )
    assert last["state"] == "cancelled"
