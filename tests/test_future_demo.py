"""The future demo: main waits on an empty future until a timer's callback fills it."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def traced_run(mode: str, delay: float) -> tuple[list[str], list[dict]]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "f", "demo": "future", "mode": mode, "trace": True}
    frame["params"] = {"delay": delay}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] not in {"finished", "error"}:
        events.append(event)
    await ws.disconnect()
    assert event["status"] == "ok"
    lines = [e["text"] for e in events if e["type"] == "output"]
    records = [r for e in events if e["type"] == "trace" for r in e["records"]]
    return lines, sorted(records, key=lambda record: record["t"])


def line_of(mode: str, text: str) -> int:
    source = catalog()["demos"]["future"]["modes"][mode]["source"].splitlines()
    return next(number for number, line in enumerate(source, start=1) if text in line)


@pytest.mark.parametrize(
    ("mode", "callback", "last_line"),
    [
        ("sync", "deliver", "main: got 'a parcel'; is the future done? True"),
        (
            "async",
            "lose",
            "main: await raised LookupError('the parcel was lost'); is the future done? True",
        ),
    ],
)
async def test_main_waits_for_the_future_in_one_turn_until_the_callback_fills_it(
    mode, callback, last_line
):
    lines, records = await traced_run(mode, delay=0.1)
    assert lines[0] == "main: is the future done? False"
    assert lines[-1] == last_line
    assert [r["name"] for r in records if r["kind"] == "task_created"] == ["main"]
    first_step = next(r for r in records if r["kind"] == "step")
    assert (first_step["awaits"], first_step["line"]) == ("future", line_of(mode, "await future"))
    waits = [r for r in records if r["kind"] == "turn" and r["woke_by"] == "timer"]
    assert len(waits) == 1, "the loop waits for the timer in one go"
    assert 0.09 <= waits[0]["select_wait"] < 0.3
    assert [timer["wakes"] for timer in waits[0]["timers"]] == [callback]
    after = next(r for r in records if r["kind"] == "turn" and r["start"] >= waits[0]["end"])
    assert after["ready"] == ["task 0 step"], "the filled future queues main's next step"
