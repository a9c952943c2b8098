"""A TCP server and its clients in one program: a handler that blocks, then one that awaits."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from tests.demo_runs import ends, lines, run_demo
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

REPLIES = sorted(f"client {c} got 'CLIENT {c}, LINE {line}'" for c in range(3) for line in (1, 2))
GOODBYES = ["server: a client left (lines answered: 2)"] * 3


def output_times(events: list[dict], line: int) -> list[float]:
    """When each client printed its reply to ``line``."""
    return [
        event["t"]
        for event in events
        if event["type"] == "output" and event["text"].endswith(f"LINE {line}'")
    ]


def check_the_ending(finished: dict, events: list[dict]) -> None:
    """Every client and every handler ends well, and main's line comes after the clients'."""
    assert finished["status"] == "ok"
    printed = lines(events)
    assert sorted(printed[:-1]) == sorted(REPLIES + GOODBYES)
    assert printed[-1].startswith("3 clients served in ")
    # Three clients (tasks 0 to 2), then the server's three handlers, one per connection.
    assert sorted(ends(events)) == [0, 1, 2, 3, 4, 5]
    assert all(end["ok"] for end in ends(events).values())
    handlers = [e for e in events if e["type"] == "output" and e["text"] in GOODBYES]
    assert sorted(e["task"] for e in handlers) == [3, 4, 5]
    # async with server: main's block ends only when every connection has.
    assert max(end["t"] for end in ends(events).values()) <= finished["elapsed"]


async def test_a_handler_that_blocks_makes_the_server_answer_one_line_at_a_time():
    finished, events = await run_demo("streams", "sync", trace=True)
    check_the_ending(finished, events)
    # Six lines of 0.25 s, one after another; not one reply is read before all
    # three first lines are done.
    assert all(0.74 <= t < 1.2 for t in output_times(events, 1))
    assert all(1.49 <= t < 2.2 for t in output_times(events, 2))
    assert 1.49 <= finished["elapsed"] < 2.2


async def test_a_handler_that_awaits_lets_the_server_answer_every_client_together():
    finished, events = await run_demo("streams", "async", trace=True)
    check_the_ending(finished, events)
    assert all(0.24 <= t < 0.45 for t in output_times(events, 1))
    assert all(0.49 <= t < 0.8 for t in output_times(events, 2))
    assert 0.49 <= finished["elapsed"] < 0.8


async def test_the_number_of_clients_and_the_delay_are_parameters():
    finished, events = await run_demo("streams", "sync", {"clients": 2, "delay": 0.05})
    assert finished["status"] == "ok"
    assert lines(events)[-1].startswith("2 clients served in ")
    assert len(ends(events)) == 4
    assert 0.19 <= finished["elapsed"] < 0.6


# Closing a server cancels no handler: async with waits for each connection to
# end. A handler that got a line before the cancel finishes that line's work
# (1 s) first, and a blocked loop hears the cancel only once it is free again,
# after up to three lines of work, one per handler.
@pytest.mark.parametrize(("mode", "within"), [("sync", 3.5), ("async", 1.6)])
async def test_a_cancelled_run_closes_every_connection_and_the_server(mode, within, caplog):
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "c", "demo": "streams", "mode": mode, "params": {"delay": 1.0}}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "task_started":
        pass
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "c"}))
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)
    await ws.disconnect()
    # The clients are cancelled and close their connections, each handler sees
    # its client leave and closes its side, and async with closes the server:
    # the run ends with nothing left waiting.
    assert event["status"] == "cancelled"
    assert event["elapsed"] < within
    assert lines(events) == []  # a cancelled run prints no more
    # A handler's last print, stopped by the cancel, is no error of the server's.
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
