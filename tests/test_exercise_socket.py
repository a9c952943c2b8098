"""Runs for exercises over the demo socket: references checked, runs sandboxed, verdicts sent."""

import asyncio
import json
from dataclasses import replace

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from live.models import DemoRun
from live.protocol import ExerciseRef, ProtocolError, parse_frame
from sandbox.runner import RUNS_CHANNEL
from tests.exercise_runs import exercise_frame, lesson_with, run_exercise
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

BODY = """\
```exercise
title: Finish quickly
task: Print *done*.
start: |
  raise ValueError("not yet")
solution: |
  print("done")
goals:
  - total_under: 5
  - output_has:
      - done
  - no_exception: true
```
"""


def test_a_run_for_an_exercise_is_parsed_as_a_traced_async_run_of_the_code():
    request = parse_frame(exercise_frame(7, 0, "print(1)\n"), None)
    assert request.exercise == ExerciseRef(lesson=7, index=0)
    assert (request.mode, request.trace, request.code) == ("async", True, "print(1)\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exercise": {"lesson": 7}}, '"exercise" must be'),
        ({"exercise": {"lesson": 7, "index": 0, "goals": []}}, '"exercise" must be'),
        ({"exercise": {"lesson": 7, "index": -1}}, '"index" must be'),
        ({"exercise": {"lesson": 7, "index": True}}, '"index" must be'),
        ({"exercise": {"lesson": "7", "index": 0}}, '"lesson" must be a lesson id'),
        ({"demo": "sleep"}, 'names no "demo"'),
        ({"mode": "sync"}, 'names no "demo"'),
        ({"trace": False}, "always traced"),
        ({"code": "   "}, '"code" must be'),
    ],
)
def test_a_bad_exercise_run_is_refused_with_bad_message(change, message):
    frame = json.loads(exercise_frame(7, 0, "print(1)\n"))
    frame.update(change)
    with pytest.raises(ProtocolError) as caught:
        parse_frame(json.dumps(frame), None)
    assert caught.value.code == "bad_message"
    assert message in caught.value.message
    assert caught.value.run_id == "x1"


def test_a_run_for_an_exercise_without_code_is_refused():
    frame = json.loads(exercise_frame(7, 0, "print(1)\n"))
    del frame["code"]
    with pytest.raises(ProtocolError, match="carries its"):
        parse_frame(json.dumps(frame), None)


async def test_an_exercise_that_does_not_exist_is_refused_before_anything_runs():
    lesson = await lesson_with(BODY)
    draft = await lesson_with(BODY, slug="draft", status="draft")
    for lesson_id, index in ((lesson.pk, 1), (lesson.pk + 1000, 0), (draft.pk, 0)):
        (error,) = await run_exercise(lesson_id, index, "print('done')\n")
        assert error["type"] == "error"
        assert error["code"] == "unknown_exercise"
        assert error["id"] == "x1"
        assert f"lesson {lesson_id} has no exercise {index}" in error["message"]


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_run_is_graded_on_the_saved_goals_after_it_finishes():
    lesson = await lesson_with(BODY)
    events = await run_exercise(lesson.pk, 0, 'print("done")\n')
    assert events[0] == {"type": "accepted", "id": "x1", "mode": "async", "params": {},
                         "exercise": {"lesson": lesson.pk, "index": 0}, "code": True}  # fmt: skip
    kinds = [event["type"] for event in events]
    assert kinds[-2:] == ["finished", "graded"]
    graded = events[-1]
    assert graded["passed"] is True
    assert [goal["kind"] for goal in graded["goals"]] == [
        "total_under",
        "output_has",
        "no_exception",
    ]
    assert graded["goals"][0]["sentence"] == "The whole run takes under 5 s."
    assert await DemoRun.objects.acount() == 0  # a reader's exercise runs are not kept


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_hostile_program_is_graded_not_a_crash():
    lesson = await lesson_with(BODY)
    # It kills its own process mid-run and forges an event on the way out.
    hostile = (
        "import os, sys\nprint('done')\nsys.stdout.flush()\n"
        'os.write(101, b\'{"type": "exit", "elapsed": -5, "status": 0}\\n\')\n'
        "os.kill(os.getpid(), 9)\n"
    )
    graded = (await run_exercise(lesson.pk, 0, hostile))[-1]
    assert graded["type"] == "graded"
    assert all(isinstance(goal["passed"], bool) for goal in graded["goals"])
    events = await run_exercise(lesson.pk, 0, 'raise ValueError("not yet")\n')
    graded = events[-1]
    assert graded["passed"] is False
    no_exception = graded["goals"][2]
    assert no_exception["passed"] is False
    assert no_exception["figure"] == "ValueError escaped at line 1; needs none"


async def test_a_run_whose_runner_stops_answering_is_not_passed(settings):
    settings.SANDBOX_LIMITS = replace(settings.SANDBOX_LIMITS, wall_seconds=0.2)
    settings.SANDBOX_ANSWER_SECONDS = 0.5
    lesson = await lesson_with(BODY)
    layer = get_channel_layer()

    async def silent_runner():  # takes the run, then is never heard from again
        request = await layer.receive(RUNS_CHANNEL)
        await layer.send(request["reply_to"], {"type": "sandbox.accepted", "control": "none"})

    runner = asyncio.create_task(silent_runner())
    events = await run_exercise(lesson.pk, 0, 'print("done")\n')
    await runner
    assert events[-2]["reason"] == "the sandbox runner stopped answering"
    total_under, _, no_exception = events[-1]["goals"]
    assert total_under["passed"] is False
    assert total_under["figure"].startswith("the run did not end by itself")
    assert no_exception["passed"] is False


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_run_cancelled_beside_another_is_graded_unfinished_and_neither_holds_the_solution():
    lesson = await lesson_with(BODY.replace('print("done")', 'print("done")\n  print("SOLVED")'))
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    try:
        slow = "import time\nprint('done', flush=True)\ntime.sleep(10)\n"
        await ws.send_to(text_data=exercise_frame(lesson.pk, 0, slow, "slow"))
        await ws.send_to(text_data=exercise_frame(lesson.pk, 0, "print('done')\n", "quick"))
        events = []
        while sum(event["type"] == "graded" for event in events) < 2:
            events.append(event := await ws.receive_json_from(timeout=10))
            if event["type"] == "output" and event["id"] == "slow":
                await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "slow"}))
    finally:
        await ws.disconnect()
    graded = {event["id"]: event for event in events if event["type"] == "graded"}
    assert graded["quick"]["passed"] is True
    assert graded["slow"]["passed"] is False
    assert graded["slow"]["goals"][0]["figure"].startswith("the run was cancelled")
    assert "SOLVED" not in json.dumps(events)
