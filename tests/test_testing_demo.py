"""A test that forgets to await passes, with a warning; awaited, the same test fails."""

import asyncio
import json
import warnings

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from tests.demo_runs import ends, lines, run_demo
from tests.sockets import HEADERS
from tutorialsite.asgi import application

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
    results = await asyncio.gather(*(run_demo("testing", "sync") for _ in range(3)))
    for finished, events in results:
        assert finished["status"] == "ok"
        assert lines(events)[0] == warning
    assert warnings.filters == filters
    assert warnings.showwarning is show


@pytest.mark.usefixtures("sandbox_runner")
@pytest.mark.parametrize(
    ("mode", "verdict", "status"),
    [
        ("sync", "test_the_last_three_can_be_sold ... ok", "ok"),
        # There the test's own task is a lane, and it ends in the AssertionError
        # the runner then reports.
        ("async", "Ran 1 test(s): FAILED", "failed"),
    ],
)
async def test_each_listing_runs_in_a_sandbox(mode, verdict, status):
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    code = catalog()["demos"]["testing"]["modes"][mode]["source"]
    frame = {"type": "run", "id": "c", "demo": "testing", "mode": mode, "code": code}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=20))["type"] not in {"finished", "error"}:
        events.append(event)
    await ws.disconnect()
    assert event["type"] == "finished"
    assert event["status"] == status
    outputs = [e for e in events if e["type"] == "output"]
    assert all(e.get("stream") is None for e in outputs), "nothing on standard error"
    assert verdict in [e["text"] for e in outputs]
