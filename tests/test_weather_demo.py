"""The weather demo against the bundled simulator: good cities, failing cities, timeouts."""

import asyncio
import gc
import json
import socket
import time

import pytest
from channels.testing import WebsocketCommunicator

from demos.params import ParamError
from demos.programs import weather_async, weather_sync
from demos.weather import DEMO
from tests.demo_runs import simulator_for
from tests.sockets import HEADERS
from tutorialsite.asgi import application
from weathersim.app import temperature_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


@pytest.fixture
async def simulator(settings):
    async with simulator_for(settings, latency_scale=0.05, request_timeout=0.5) as server:
        yield server


async def run_weather(mode: str, cities: list[str]) -> list[dict]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "w", "demo": "weather", "mode": mode}
    frame["params"] = {"cities": cities}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=10))["type"] != "finished":
        events.append(event)
    events.append(event)
    await ws.disconnect()
    return events


def results(events: list[dict]) -> dict[int, dict]:
    return {e["task"]: e for e in events if e["type"] == "task_finished"}


def printed(events: list[dict]) -> dict[int, str]:
    return {e["task"]: e["text"] for e in events if e["type"] == "output"}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_it_prints_each_citys_temperature(simulator, mode):
    events = await run_weather(mode, ["paris", "toulouse", "marseille"])
    assert printed(events) == {
        0: f"Temperature at paris: {temperature_for('paris')} C",
        1: f"Temperature at toulouse: {temperature_for('toulouse')} C",
        2: f"Temperature at marseille: {temperature_for('marseille')} C",
    }
    assert events[-1]["status"] == "ok"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("city", "error"),
    [
        ("fail-500", "HTTP 500 from the server"),
        ("fail-404", "HTTP 404 from the server"),
        ("fail-json", "the answer is not valid JSON"),
        ("fail-missing", "the answer has no 'tmp' field"),
        ("fail-timeout", "timed out: no answer in time"),
        ("fail-hang", "timed out: no answer in time"),
        ("fail-truncated", "the answer was cut short"),
    ],
)
async def test_a_failing_city_fails_alone_with_a_clear_error(simulator, mode, city, error):
    events = await run_weather(mode, ["paris", city, "lyon"])
    outcome = results(events)
    assert outcome[1]["ok"] is False
    assert outcome[1]["error"] == error
    assert outcome[0]["ok"] is True
    assert outcome[2]["ok"] is True
    assert printed(events)[2] == f"Temperature at lyon: {temperature_for('lyon')} C"
    assert events[-1]["status"] == "failed"
    assert events[-1]["elapsed"] < 3  # bounded by the request timeout


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_an_unreachable_service_fails_every_city_clearly(settings, mode):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.WEATHER_API_URL = f"http://127.0.0.1:{port}/services/json/"
    events = await run_weather(mode, ["paris", "lyon"])
    outcome = results(events)
    assert [outcome[i]["error"] for i in (0, 1)] == ["could not connect to the server"] * 2
    assert events[-1]["status"] == "failed"


async def test_the_async_run_asks_all_cities_at_once(simulator):
    cities = ["paris", "toulouse", "marseille", "lyon"]
    sync_events = await run_weather("sync", cities)
    async_events = await run_weather("async", cities)
    assert async_events[-1]["elapsed"] < sync_events[-1]["elapsed"]
    started = [e["t"] for e in async_events if e["type"] == "task_started"]
    first_end = min(e["t"] for e in async_events if e["type"] == "task_finished")
    assert max(started) < first_end


@pytest.mark.parametrize("program", [weather_sync, weather_async])
def test_the_site_s_settings_say_where_each_program_asks(settings, program):
    settings.WEATHER_API_URL = "http://weather.example/services/json/"
    settings.WEATHER_TIMEOUT = 1.5
    assert program.weather_url("paris") == "http://weather.example/services/json/paris"
    assert program.TIMEOUT == 1.5
    # What the cities param lets through can only ever be one path segment.
    assert program.weather_url("a/b?c#d") == "http://weather.example/services/json/a%2Fb%3Fc%23d"


def test_a_city_can_only_ever_be_one_path_segment():
    (cities,) = DEMO.params
    assert cities.clean(["paris", "Saint-Malo"]) == ["paris", "saint-malo"]
    hostile_cities = (
        "../admin",
        "paris/../../x",
        "a?b=c",
        "a#b",
        "evil.com@x",
        "a b",
        "",
        "paris\n",
    )
    for hostile in hostile_cities:
        with pytest.raises(ParamError, match="letters, digits or hyphens"):
            cities.clean(["paris", hostile])


@pytest.mark.parametrize("city", ["../../etc/passwd", "paris\n"])
async def test_a_city_name_that_breaks_the_rules_is_refused_before_any_request(simulator, city):
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "w", "demo": "weather", "mode": "async"}
    frame["params"] = {"cities": ["paris", city]}
    await ws.send_to(text_data=json.dumps(frame))
    error = await ws.receive_json_from()
    assert error["code"] == "invalid_params"
    assert "letters, digits or hyphens" in error["message"]
    await ws.disconnect()


FAULTS = [
    "fail-500",
    "fail-404",
    "fail-timeout",
    "fail-hang",
    "fail-json",
    "fail-truncated",
    "fail-missing",
]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_run_of_every_fault_ends_in_time_and_the_next_run_works(simulator, settings, mode):
    cities = [*FAULTS, "fail-slow", "paris"]
    started = time.perf_counter()
    events = await run_weather(mode, cities)
    took = time.perf_counter() - started
    # Each request gives up after the timeout: one after another in sync, together in async.
    timeout = settings.WEATHER_TIMEOUT
    assert took < (len(cities) * (timeout + 0.3) if mode == "sync" else timeout + 1.0)
    outcome = results(events)
    assert [outcome[i]["ok"] for i in range(len(cities))] == [False] * len(FAULTS) + [True, True]
    assert events[-1]["status"] == "failed"

    events = await run_weather(mode, ["paris", "lyon"])
    assert events[-1]["status"] == "ok"
    assert printed(events) == {
        0: f"Temperature at paris: {temperature_for('paris')} C",
        1: f"Temperature at lyon: {temperature_for('lyon')} C",
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_once_the_service_is_back_the_next_run_works(simulator, settings, mode):
    working = settings.WEATHER_API_URL
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.WEATHER_API_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/services/json/"
    down = await run_weather(mode, ["paris"])
    assert results(down)[0]["error"] == "could not connect to the server"
    settings.WEATHER_API_URL = working
    events = await run_weather(mode, ["paris"])
    assert events[-1]["status"] == "ok"
    assert printed(events) == {0: f"Temperature at paris: {temperature_for('paris')} C"}


async def test_a_cancelled_async_run_closes_the_session_its_program_opened(simulator, caplog):
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "w", "demo": "weather", "mode": "async"}
    frame["params"] = {"cities": ["fail-hang", "paris"]}
    await ws.send_to(text_data=json.dumps(frame))
    while (await ws.receive_json_from(timeout=5))["type"] != "task_started":
        pass
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "w"}))
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        pass
    await ws.disconnect()
    gc.collect()
    await asyncio.sleep(0)

    assert event["status"] == "cancelled"
    assert not [record for record in caplog.records if "Unclosed" in record.getMessage()]
