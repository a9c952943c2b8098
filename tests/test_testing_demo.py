"""A test that forgets to await passes, with a warning; awaited, the same test fails."""

import asyncio
import time
import warnings

import pytest

from demos.registry import DEMOS
from tests.demo_runs import ends, lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def test_the_test_without_await_passes_and_only_a_warning_tells():
    finished, events = await run_demo("testing", "sync")
    assert finished["status"] == "ok"
    assert lines(events) == [
        "RuntimeWarning: coroutine 'in_stock' was never awaited",
        "test_the_last_three_can_be_sold ... ok",
        "Ran 1 test(s): OK",
    ]
    # One lane, run_tests, which ends well: the runner found nothing wrong.
    assert list(ends(events)) == [0]
    assert ends(events)[0]["ok"] is True
    assert finished["elapsed"] < 1


async def test_the_awaited_test_fails_and_names_the_bug():
    finished, events = await run_demo("testing", "async")
    assert finished["status"] == "ok"  # the runner reports the failure; the run itself is fine
    assert lines(events) == [
        "test_the_last_three_can_be_sold ... FAIL: "
        "AssertionError: False is not true : 3 teas are on the shelf",
        "Ran 1 test(s): FAILED",
    ]
    assert list(ends(events)) == [0]
    assert ends(events)[0]["ok"] is True
    assert 0.01 <= finished["elapsed"] < 1  # in_stock's await ran this time


async def test_runs_at_once_each_print_their_own_warning():
    # The warnings settings are the process's: runs side by side in the pool
    # threads take turns, each shows the warning its test caused, and the
    # settings are as they were once they are done.
    filters, show = list(warnings.filters), warnings.showwarning
    warning = "RuntimeWarning: coroutine 'in_stock' was never awaited"
    modes = ["sync", "async", "sync", "async"]
    results = await asyncio.gather(*(run_demo("testing", mode) for mode in modes))
    for mode, (finished, events) in zip(modes, results, strict=True):
        assert finished["status"] == "ok"
        if mode == "sync":
            assert lines(events)[0] == warning
    assert warnings.filters == filters
    assert warnings.showwarning is show


async def test_programs_that_change_the_warnings_settings_run_one_at_a_time():
    # Both variants here, and debug_mode's, swap the process's warnings settings:
    # the site runs them one after another, whichever program they are. Two
    # debug_mode runs whose callback blocks 0.5 s take 1 s or more that way,
    # about 0.5 s side by side.
    runs = [("debug_mode", "sync"), ("testing", "async"), ("debug_mode", "async")]
    assert all(DEMOS[name].variant(mode).alone for name, mode in runs)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(run_demo(name, mode, {"block": 0.5} if name == "debug_mode" else {}, within=10)
          for name, mode in runs)
    )  # fmt: skip
    took = time.perf_counter() - started
    # debug_mode's runs end "failed": one of its tasks fails, on purpose.
    assert [finished["status"] for finished, _ in results] == ["failed", "ok", "failed"]
    assert took >= 1.0
