"""Runs on the event loop start at most a few per turn of the loop, in the order they came."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from live import run_writer, runtime, start_pacing
from live.models import DemoRun
from live.start_pacing import StartPacer
from tests.sockets import HEADERS
from tutorialsite.asgi import application


async def starts_by_turn(pacer: StartPacer, callers: int) -> list[list[int]]:
    """Which callers went on in each turn of the loop, counting turns with a callback chain."""
    turn = 0
    running = True

    def count_turns() -> None:
        nonlocal turn
        turn += 1
        if running:
            asyncio.get_running_loop().call_soon(count_turns)

    went_on: dict[int, list[int]] = {}

    async def caller(index: int) -> None:
        await pacer.turn()
        went_on.setdefault(turn, []).append(index)

    asyncio.get_running_loop().call_soon(count_turns)
    await asyncio.gather(*(caller(i) for i in range(callers)))
    running = False
    return [went_on[t] for t in sorted(went_on)]


async def test_at_most_per_turn_callers_go_on_in_one_turn_in_order():
    turns = await starts_by_turn(StartPacer(per_turn=3), callers=8)

    assert [len(t) for t in turns] == [3, 3, 2]
    assert [i for t in turns for i in t] == list(range(8))


async def test_callers_within_the_limit_all_go_on_at_once():
    turns = await starts_by_turn(StartPacer(per_turn=5), callers=5)

    assert turns == [[0, 1, 2, 3, 4]]


async def test_a_newcomer_does_not_overtake_callers_already_let_through():
    pacer = StartPacer(per_turn=3)
    order: list[str] = []

    async def caller(name: str) -> None:
        await pacer.turn()
        order.append(name)

    loop = asyncio.get_running_loop()
    first = [asyncio.ensure_future(caller(f"early {i}")) for i in range(5)]
    await asyncio.sleep(0)  # three go on; two wait, then are let through by the next turn
    await asyncio.sleep(0)
    late = asyncio.eager_task_factory(loop, caller("late"))  # arrives in the turn they resume in

    await asyncio.wait_for(asyncio.gather(*first, late), 1)

    assert order == [f"early {i}" for i in range(5)] + ["late"]


async def test_a_caller_cancelled_while_waiting_leaves_the_line():
    pacer = StartPacer(per_turn=1)
    callers = [asyncio.ensure_future(pacer.turn()) for _ in range(4)]
    await asyncio.sleep(0)  # the first goes on; three wait
    assert len(pacer._waiting) == 3
    last = callers[-1]
    last.cancel()
    await asyncio.sleep(0)

    assert last.cancelled()
    assert len(pacer._waiting) == 1  # it left; the second was let through meanwhile
    await asyncio.wait_for(asyncio.gather(*callers[:-1]), 1)
    assert not pacer._waiting
    assert pacer._resuming == 0


async def test_a_caller_cancelled_just_as_it_is_let_through_gives_its_place_up():
    pacer = StartPacer(per_turn=1)
    callers = [asyncio.ensure_future(pacer.turn()) for _ in range(3)]
    await asyncio.sleep(0)  # the first goes on; two wait
    await asyncio.sleep(0)  # the second is let through, not yet gone on
    callers[1].cancel()

    await asyncio.wait_for(callers[2], 1)

    assert callers[1].cancelled()
    assert pacer._resuming == 0


class HeldTurns:
    """A pacer whose turns come only when the test says so."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def turn(self) -> None:
        await self.open.wait()


@pytest.mark.django_db(transaction=True)
async def test_a_run_cancelled_while_waiting_for_its_turn_never_starts(monkeypatch):
    runtime.reset()
    turns = HeldTurns()
    monkeypatch.setattr(start_pacing, "pacer", lambda: turns)
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    run = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**run, "params": {"tasks": 1, "seconds": 0.05}}))
    assert (await ws.receive_json_from(timeout=5))["type"] == "accepted"

    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "r"}))
    finished = await ws.receive_json_from(timeout=5)

    # As for a run cancelled while queued for capacity: nothing ran, nothing is stored.
    assert finished["type"] == "finished"
    assert finished["status"] == "cancelled"
    assert finished["summary"] == "Cancelled before it started."
    await ws.disconnect()
    await run_writer.writer().drain()
    assert await DemoRun.objects.acount() == 0
    runtime.reset()
