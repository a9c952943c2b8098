"""Hostile frames on the demo websocket: every one gets a clean answer, nothing breaks.

Hypothesis throws a few thousand frames at ONE connection: random JSON of every
shape, text that is not JSON, binary frames, frames over the size limit, deep
nesting, hostile numbers (huge, negative, NaN, Infinity, as strings, booleans),
unicode and control characters in ids and city names, unknown types and
cancels for runs that do not exist. After each frame the server must answer
exactly one ``error`` of a documented code, ``watching`` for a valid watch of
a lesson, or ``accepted`` for a frame that happens to be a valid run (which is
then cancelled and must finish). Afterwards
the same connection must still run a demo with correct timings, nothing may be
left running, and nothing may have been logged as an error.
"""

import asyncio
import json
import logging
import re
import unicodedata

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from live import runtime, shutdown
from live.protocol import MAX_FRAME_BYTES
from tests.servers import free_port
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_CODES = {
    "bad_message",
    "unknown_demo",
    "invalid_params",
    "duplicate_id",
    "busy",
    "rate_limited",
    "unknown_run",
    "unknown_lesson",
    "unknown_exercise",
    "watch_limit",
    "unavailable",
}
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LONGEST_ERROR_MESSAGE = 300  # hostile input is quoted in part, never echoed whole

# ---------------------------------------------------------------------------
# Frames

hostile_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=-1),
    st.integers(min_value=11, max_value=10**30),
    st.integers(min_value=10**300, max_value=10**4000),  # beyond any float
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 2**63, -(2**63)]),
    st.from_regex(r"\A-?[0-9]{1,6}(\.[0-9]{1,3})?\Z").map(str),  # numbers as strings
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
weird_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cc", "Cf"]),
    max_size=80,
)
run_ids = st.one_of(st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"), weird_text, hostile_numbers)
cities = st.one_of(st.sampled_from(["paris", "lyon", "fail-500"]), weird_text)


VALID_RUNS = {
    "sleep": {"tasks": 2, "seconds": 0.05},
    "weather": {"cities": ["paris", "fail-500"]},
    "blocking": {"tasks": 2, "block": 0.1},
}
hostile_values = st.one_of(hostile_numbers, weird_text, st.lists(cities, max_size=12))


@st.composite
def protocol_frames(draw) -> str:
    """A valid run or cancel with one to three fields made hostile, dropped or added."""
    demo = draw(st.sampled_from(sorted(VALID_RUNS)))
    frame: dict = {
        "type": draw(st.sampled_from(["run", "cancel"])),
        "id": draw(st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")),
        "demo": demo,
        "mode": draw(st.sampled_from(["sync", "async"])),
        "params": dict(VALID_RUNS[demo]),
    }
    hostile = {
        "type": st.one_of(weird_text, hostile_numbers),
        "id": st.one_of(weird_text, hostile_numbers),
        "demo": st.one_of(weird_text, hostile_numbers),
        "mode": st.one_of(weird_text, hostile_numbers),
        "params": st.one_of(hostile_values, st.dictionaries(weird_text, hostile_values)),
    }
    for _ in range(draw(st.integers(1, 3))):
        match draw(st.sampled_from(["field", "param", "drop", "extra"])):
            case "field":
                name = draw(st.sampled_from(sorted(hostile)))
                frame[name] = draw(hostile[name])
            case "param" if isinstance(frame.get("params"), dict):
                name = draw(st.sampled_from([*VALID_RUNS[demo], "cities", "tasks", "colour"]))
                frame["params"][name] = draw(hostile_values)
            case "drop" if frame:
                del frame[draw(st.sampled_from(sorted(frame)))]
            case "extra":
                frame[draw(weird_text)] = draw(hostile_values)
    return json.dumps(frame)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), hostile_numbers, weird_text),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(weird_text, children, max_size=5)
    ),
    max_leaves=30,
)


@st.composite
def deep_nesting(draw) -> str:
    depth = draw(st.integers(min_value=50, max_value=MAX_FRAME_BYTES // 2))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return opener * depth + "1" + closer * depth


@st.composite
def oversized(draw) -> str:
    padding = "x" * (MAX_FRAME_BYTES + draw(st.integers(0, 4096)))
    return json.dumps({"type": "run", "id": "big", "demo": "sleep", "mode": "sync", "pad": padding})


@st.composite
def watch_frames(draw, lesson_ids: list[int]) -> str:
    """``watch`` with a lesson id that exists, does not, or is not an id at all."""
    lesson = draw(st.one_of(st.sampled_from(lesson_ids), hostile_numbers, weird_text))
    frame = {"type": "watch", "lesson": lesson}
    if draw(st.booleans()):
        frame[draw(weird_text)] = draw(hostile_values)
    return json.dumps(frame)


@st.composite
def exercise_frames(draw, lesson_ids: list[int]) -> str:
    """A run for an exercise: of a lesson that exists (holding none), or of nothing valid."""
    reference = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"lesson": st.one_of(st.sampled_from(lesson_ids), hostile_numbers, weird_text),
                 "index": st.one_of(st.just(0), hostile_numbers, weird_text)}
            ),
            hostile_values,
            st.dictionaries(weird_text, hostile_values, max_size=3),
        )
    )  # fmt: skip
    code = draw(st.one_of(st.just("print(1)\n"), weird_text, hostile_numbers))
    frame = {"type": "run", "id": draw(run_ids), "exercise": reference, "code": code}
    if draw(st.booleans()):
        frame[draw(st.sampled_from(["demo", "mode", "trace", "params"]))] = draw(hostile_values)
    return json.dumps(frame)


def frames(lesson_ids: list[int]) -> st.SearchStrategy[dict]:
    text_frames = st.one_of(
        protocol_frames(),
        watch_frames(lesson_ids),
        exercise_frames(lesson_ids),
        json_values.map(json.dumps),
        st.text(max_size=200),  # mostly not JSON at all
        deep_nesting(),
        oversized(),
        st.builds(lambda i: json.dumps({"type": "cancel", "id": i}), run_ids),
    )
    return st.one_of(
        text_frames.map(lambda text: {"text": text}),
        st.binary(max_size=256).map(lambda data: {"bytes": data}),
    )


# ---------------------------------------------------------------------------
# Checking one frame


def assert_clean_error(event: dict) -> None:
    assert set(event) <= {"type", "code", "message", "id"}, event
    assert event["code"] in ERROR_CODES, event
    message = event["message"]
    assert isinstance(message, str)
    assert 0 < len(message) <= LONGEST_ERROR_MESSAGE, event
    assert not any(unicodedata.category(c) == "Cc" for c in message), event
    if "id" in event:
        assert RUN_ID.fullmatch(event["id"]), event


async def answer_is_clean(ws: WebsocketCommunicator, frame: dict) -> None:
    # send_input, not send_to: empty frames are frames too.
    await ws.send_input({"type": "websocket.receive", **frame})
    answer = await ws.receive_json_from(timeout=5)
    if answer["type"] == "error":
        assert_clean_error(answer)
        return
    if answer["type"] == "watching":
        assert frame["text"].startswith('{"type": "watch"'), (frame, answer)
        assert isinstance(answer["lesson"], int)
        return
    # A frame that happened to be a valid run: stop it and see it end properly.
    assert answer["type"] == "accepted", answer
    run_id = answer["id"]
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": run_id}))
    while True:
        event = await ws.receive_json_from(timeout=5)
        if event["type"] == "error":
            # The run ended by itself before the cancel arrived.
            assert event["code"] == "unknown_run", event
            assert event["id"] == run_id
            return
        assert event.get("id") == run_id, event
        if event["type"] == "finished":
            assert event["status"] in {"ok", "failed", "cancelled"}, event
            # It may have ended by itself just as the cancel arrived: then the
            # cancel is answered with unknown_run, or was taken by the ending run.
            if event["status"] != "cancelled" and not await ws.receive_nothing(timeout=0.2):
                late = await ws.receive_json_from()
                assert late == {**late, "type": "error", "code": "unknown_run", "id": run_id}
            return


async def a_normal_run_is_still_correct(ws: WebsocketCommunicator) -> None:
    frame = {"type": "run", "id": "after-fuzz", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 3, "seconds": 0.1}}))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)
    assert event["status"] == "ok"
    assert 0.1 <= event["elapsed"] < 0.3  # concurrent: about one task's time
    assert [e["text"] for e in events if e["type"] == "output"] == ["Hello"] * 3


def run_frame(**params) -> dict:
    frame = {"type": "run", "id": "x", "demo": "sleep", "mode": "sync", "params": params}
    return {"text": json.dumps(frame)}


def example_frames(test):
    """Frames that once broke the server, or nearly: always tried first."""
    for frame in [
        run_frame(tasks=1, seconds=10**400),  # too large for a float: was an OverflowError
        run_frame(tasks=10**4000, seconds=0.05),  # thousands of digits: never echoed whole
        {"text": '{"type": "run", "id": "x", "demo": "sleep", "mode": "sync", "params": '
                 '{"seconds": NaN}}'},
        {"text": "[" * 8000 + "]" * 8000},
        {"text": ""},
        {"bytes": b""},
    ]:  # fmt: skip
        test = example(frame=frame)(test)
    return test


async def leftover_tasks() -> list[asyncio.Task]:
    await asyncio.sleep(0)
    current = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if task is not current and not task.done()]


# ---------------------------------------------------------------------------


def test_every_hostile_frame_gets_a_clean_answer_and_the_socket_survives(
    settings_, lessons, caplog
):
    caplog.set_level(logging.INFO)
    with asyncio.Runner() as runner:
        ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
        assert runner.run(ws.connect())[0]

        @settings(
            max_examples=2000,
            deadline=None,
            database=None,
            # One connection carries every example, so after a failure the next
            # examples see its aftermath: report the first failure, unshrunk.
            phases=[Phase.explicit, Phase.generate],
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(frame=frames([lesson.pk for lesson in lessons.all]))
        @example_frames
        def check(frame: dict) -> None:
            runner.run(answer_is_clean(ws, frame))

        try:
            check()
            runner.run(a_normal_run_is_still_correct(ws))
            assert runtime.running_gate().running == 0
            assert runtime.running_gate().waiting == 0
            assert runtime.thread_gate().running == 0
        finally:
            runner.run(ws.disconnect())
        assert runner.run(leftover_tasks()) == []
    assert shutdown.live_connections() == 0
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == []


@pytest.fixture(name="settings_")
def fuzz_settings(settings):
    """Caps that a fuzzing run never reaches, and a weather service that refuses at once."""
    settings.DEMO_RATE_LIMIT = (1_000_000, 60)
    settings.WEATHER_API_URL = f"http://127.0.0.1:{free_port()}/services/json/"
    settings.WEATHER_TIMEOUT = 0.5
    runtime.reset()
    yield settings
    runtime.reset()
