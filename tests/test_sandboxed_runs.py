"""A reader's own program over the websocket: run in a sandbox, streamed like a demo."""

import asyncio
import json
import os
import time

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from live.models import DemoRun
from live.protocol import MAX_CODE_BYTES
from live.selectors import demo_stats
from sandbox.launcher import Launcher
from tests import services
from tests.sandboxes import running_runner
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def listing(demo: str, mode: str) -> str:
    return catalog()["demos"][demo]["modes"][mode]["source"]


def edited(source: str, **constants) -> str:
    """The listing with some of its constants changed, as a reader edits them."""
    lines = source.splitlines()
    for name, value in constants.items():
        (index,) = [i for i, line in enumerate(lines) if line.startswith(f"{name} = ")]
        lines[index] = f"{name} = {value!r}"
    return "\n".join(lines) + "\n"


async def connect() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await communicator.connect())[0]
    return communicator


def code_frame(code: str, demo: str = "sleep", mode: str = "async", run_id: str = "c1", **more):
    return json.dumps({"type": "run", "id": run_id, "demo": demo, "mode": mode, "code": code,
                       **more})  # fmt: skip


async def until_finished(ws, within: float = 20) -> list[dict]:
    events = []
    while True:
        events.append(event := await ws.receive_json_from(timeout=within))
        if event["type"] in {"finished", "error"}:
            return events


async def run_code(code: str, **frame) -> list[dict]:
    ws = await connect()
    await ws.send_to(text_data=code_frame(code, **frame))
    events = await until_finished(ws)
    await ws.disconnect()
    return events


@pytest.mark.usefixtures("sandbox_runner")
async def test_an_edited_program_runs_with_its_own_constants_and_streams_its_tasks():
    code = edited(listing("sleep", "async"), TASKS=5, SECONDS=0.05)
    events = await run_code(code)
    assert events[0] == {"type": "accepted", "id": "c1", "demo": "sleep", "mode": "async",
                         "params": {}, "code": True}  # fmt: skip
    started = [e["task"] for e in events if e["type"] == "task_started"]
    assert sorted(started) == [0, 1, 2, 3, 4]
    assert [e["text"] for e in events if e["type"] == "output"] == ["Hello"] * 5
    finished = events[-1]
    assert finished["type"] == "finished"
    assert finished["status"] == "ok"
    assert 0.05 <= finished["elapsed"] < 2
    run = await DemoRun.objects.aget()
    assert run.code == code
    assert run.status == "ok"
    assert len(run.timeline) == 5


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_readers_runs_do_not_count_in_the_demos_own_figures():
    await run_code(edited(listing("sleep", "async"), TASKS=1, SECONDS=0.05))
    stats = await demo_stats(demos=["sleep"])
    assert stats["sleep"]["async"] == {"count": 0, "median": None}


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_sync_program_reports_the_calls_its_main_makes_as_tasks_one_after_another():
    code = edited(listing("sleep", "sync"), TASKS=2, SECONDS=0.05)
    events = await run_code(code, mode="sync")
    tasks = [e for e in events if e["type"] in ("task_started", "task_finished")]
    assert [(e["type"], e["task"]) for e in tasks] == [
        ("task_started", 0), ("task_finished", 0), ("task_started", 1), ("task_finished", 1),
    ]  # fmt: skip
    assert events[-1]["status"] == "ok"


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_syntax_error_is_reported_at_its_line_and_nothing_runs():
    code = "import asyncio\n\nasync def main(:\n    pass\n"
    events = await run_code(code)
    assert [e["type"] for e in events] == ["accepted", "finished"]
    finished = events[-1]
    assert finished["status"] == "failed"
    assert finished["elapsed"] == 0
    assert finished["error"]["type"] == "SyntaxError"
    assert finished["error"]["line"] == 3
    assert "SyntaxError at line 3" in finished["summary"]


@pytest.mark.usefixtures("sandbox_runner")
async def test_an_exception_comes_back_as_a_traceback_into_the_readers_code():
    code = (
        "import asyncio\n\n\nasync def work():\n    await asyncio.sleep(0.01)\n"
        "    return 1 / 0\n\n\nasync def main():\n    await work()\n\n\nasyncio.run(main())\n"
    )
    events = await run_code(code)
    finished = events[-1]
    assert finished["status"] == "failed"
    error = finished["error"]
    assert error["type"] == "ZeroDivisionError"
    assert error["line"] == 6
    assert 'File "main.py", line 6, in work' in error["traceback"]
    assert 'File "main.py", line 13, in <module>' in error["traceback"]
    assert "sandbox" not in error["traceback"]  # the sandbox's own frames are not the reader's
    assert finished["reason"] == "ZeroDivisionError at line 6: division by zero"


@pytest.mark.usefixtures("sandbox_runner")
async def test_what_a_program_writes_to_standard_error_is_marked_so():
    code = "import sys\n\nprint('out')\nprint('careful', file=sys.stderr)\n"
    events = await run_code(code)
    outputs = [e for e in events if e["type"] == "output"]
    assert [(e["text"], e.get("stream")) for e in outputs] == [("out", None), ("careful", "stderr")]


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_traced_program_sends_the_trace_of_its_loop_with_a_lane_for_each_task():
    code = edited(listing("sleep", "async"), TASKS=3, SECONDS=0.05)
    events = await run_code(code, trace=True)
    records = [r for e in events if e["type"] == "trace" for r in e["records"]]
    created = [r for r in records if r["kind"] == "task_created"]
    assert created[0]["name"] == "main"
    assert created[0]["lane"] is None
    assert sorted(r["lane"] for r in created[1:]) == [0, 1, 2]
    assert {r["name"] for r in created[1:]} == {"say_hello"}
    assert any(r["kind"] == "turn" for r in records)
    run = await DemoRun.objects.aget()
    assert run.trace == records


@pytest.mark.usefixtures("sandbox_runner")
async def test_the_weather_program_reaches_the_simulator_at_the_demos_address():
    events = await run_code(listing("weather", "async"), demo="weather")
    lines = sorted(e["text"] for e in events if e["type"] == "output")
    assert len(lines) == 3
    assert all(line.startswith("Temperature at ") for line in lines)
    assert events[-1]["status"] == "ok"


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_process_pool_started_with_spawn_finds_the_program_as_its_main_module():
    # Each worker imports main.py again to find crunch, as after python main.py.
    events = await run_code(listing("cpu_work", "async"), demo="cpu_work")
    lines = [e["text"] for e in events if e["type"] == "output"]
    assert sorted(lines[:2]) == ["job 0: total 9999999", "job 1: total 9999999"]
    assert lines[2].startswith("heartbeat: at most ")
    assert events[-1]["status"] == "ok"


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_cancelled_program_stops_at_once_and_ends_cancelled():
    code = "import time\n\nprint('started')\ntime.sleep(30)\n"
    ws = await connect()
    await ws.send_to(text_data=code_frame(code))
    while (await ws.receive_json_from(timeout=10))["type"] != "output":
        pass
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "c1"}))
    events = await until_finished(ws, within=5)
    await ws.disconnect()
    assert events[-1]["status"] == "cancelled"
    assert events[-1]["reason"] == "cancelled by the reader"


async def test_with_no_runner_a_reader_hears_that_runs_are_unavailable(settings):
    settings.SANDBOX_ANSWER_SECONDS = 0.3
    ws = await connect()
    await ws.send_to(text_data=code_frame("print('hi')\n"))
    events = await until_finished(ws, within=5)
    await ws.disconnect()
    assert events[0]["type"] == "accepted"
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "unavailable"


async def test_a_program_over_32_kib_is_refused_before_anything_runs():
    ws = await connect()
    await ws.send_to(text_data=code_frame("#" * (MAX_CODE_BYTES + 1)))
    reply = await ws.receive_json_from()
    await ws.disconnect()
    assert reply["type"] == "error"
    assert reply["code"] == "code_too_large"
    assert reply["id"] == "c1"


async def test_a_program_of_32_kib_fits_in_a_frame_even_with_every_character_escaped():
    ws = await connect()
    code = "\x01" * (MAX_CODE_BYTES - 1) + "\n"  # six bytes on the wire for each
    await ws.send_to(text_data=code_frame(code, run_id="big"))
    reply = await ws.receive_json_from()
    await ws.disconnect()
    assert reply["type"] == "accepted"


async def test_a_large_frame_without_code_is_still_refused():
    ws = await connect()
    frame = json.dumps({"type": "run", "id": "x", "demo": "sleep", "mode": "async",
                        "params": {}, "padding": "x" * 20_000})  # fmt: skip
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    await ws.disconnect()
    assert reply["code"] == "bad_message"
    assert "16384" in reply["message"]


@pytest.mark.parametrize(
    ("extra", "code"),
    [({"params": {"tasks": 3}}, "bad_message"), ({"code": 42}, "bad_message"),
     ({"code": "   "}, "bad_message")],
)  # fmt: skip
async def test_a_run_with_code_refuses_params_and_anything_but_text(extra, code):
    ws = await connect()
    frame = {"type": "run", "id": "c1", "demo": "sleep", "mode": "async", "code": "print(1)\n"}
    await ws.send_to(text_data=json.dumps({**frame, **extra}))
    reply = await ws.receive_json_from()
    await ws.disconnect()
    assert reply["type"] == "error"
    assert reply["code"] == code


@pytest.mark.usefixtures("sandbox_runner")
async def test_one_reader_holds_two_sandboxes_at_most_and_waits_in_line_for_more():
    code = "import time\n\ntime.sleep(0.5)\nprint('done')\n"
    first, second = await connect(), await connect()  # one reader, two pages
    await first.send_to(text_data=code_frame(code, run_id="a"))
    await first.send_to(text_data=code_frame(code, run_id="b"))
    await asyncio.sleep(0.1)
    await second.send_to(text_data=code_frame(code, run_id="c"))
    third = await until_finished(second)
    for ws in (first, second):
        await ws.disconnect()
    kinds = [event["type"] for event in third]
    assert kinds[:2] == ["accepted", "queued"]
    assert third[1]["position"] == 1
    assert third[-1]["status"] == "ok"


async def test_a_program_runs_whatever_number_its_event_pipe_gets():
    services.bwrap_binary()
    # A runner with many descriptors open hands the sandbox a high-numbered pipe.
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(200)]
    launcher = Launcher(weather_url="")
    await launcher.start()
    try:
        events: list[dict] = []
        outcome = await launcher.run("print('hi')\n", mode="async", trace=False,
                                     send=events.append, weather=False)  # fmt: skip
    finally:
        await launcher.close()
        for fd in held:
            os.close(fd)
    assert outcome.status == "ok", outcome
    assert [e["text"] for e in events if e["type"] == "output"] == ["hi"]


async def test_a_runner_takes_a_run_only_when_one_of_its_slots_is_free(weather_simulator):
    services.bwrap_binary()
    code = "import time\n\ntime.sleep(0.3)\nprint('done')\n"
    async with running_runner(weather_simulator, capacity=1):
        ws = await connect()
        started = time.perf_counter()
        await ws.send_to(text_data=code_frame(code, run_id="a"))
        await ws.send_to(text_data=code_frame(code, run_id="b"))
        ended = {}
        while len(ended) < 2:
            event = await ws.receive_json_from(timeout=20)
            if event["type"] == "finished":
                assert event["status"] == "ok", event
                ended[event["id"]] = time.perf_counter() - started
        await ws.disconnect()
    # One slot: the second program began only once the first had ended.
    assert ended["b"] - ended["a"] >= 0.25
