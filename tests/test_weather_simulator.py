"""Behaviour of the local prevision-meteo.ch simulator (``weathersim``)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from weathersim import app as weathersim
from weathersim.__main__ import parse_args
from weathersim.app import (
    FAIL_SLOW_SECONDS,
    FAULT_CITIES,
    KNOWN_CITIES,
    MAX_LATENCY,
    MAX_PER_PAGE,
    MIN_LATENCY,
    PAGE_LATENCY,
    PER_PAGE,
    SLOW_SECONDS,
    RunCounter,
    latency_for,
    make_app,
    temperature_for,
)

SCALE = 0.01
REPO_ROOT = Path(__file__).resolve().parents[1]
SHORT_TIMEOUT = aiohttp.ClientTimeout(total=0.2)
APP_LOGGER = "weathersim.app"


@pytest_asyncio.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_app(latency_scale=SCALE))) as test_client:
        yield test_client


@pytest_asyncio.fixture
async def plain_server() -> AsyncIterator[tuple[web.AppRunner, str]]:
    """The simulator under a default AppRunner, as run_app would serve it.

    TestServer enables handler_cancellation, which hides how the simulator copes
    without it, so a few tests use this instead.
    """
    runner = web.AppRunner(make_app(latency_scale=SCALE))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield runner, f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def fetch_json(client: TestClient, city: str) -> dict:
    response = await client.get(f"/services/json/{city}")
    assert response.status == 200
    return await response.json()


# --- normal cities -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_it_answers_a_city_in_the_prevision_meteo_json_shape(client: TestClient) -> None:
    response = await client.get("/services/json/Paris")

    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["city_info"]["name"] == "Paris"
    assert body["city_info"]["country"] == "France"
    condition = body["current_condition"]
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", condition["date"])
    assert re.fullmatch(r"\d{2}:00", condition["hour"])
    assert isinstance(condition["tmp"], int)
    assert condition["tmp"] == temperature_for("Paris")
    assert isinstance(condition["condition"], str)
    assert condition["condition"]
    for key in ("wnd_spd", "humidity", "pressure"):
        assert isinstance(condition[key], int | float)


@pytest.mark.asyncio
async def test_it_names_an_unknown_city_after_the_request(client: TestClient) -> None:
    body = await fetch_json(client, "saint-etienne")

    assert body["city_info"]["name"] == "Saint-Etienne"
    assert isinstance(body["current_condition"]["tmp"], int)


@pytest.mark.asyncio
async def test_it_returns_the_same_temperature_for_a_city_every_time(client: TestClient) -> None:
    first = await fetch_json(client, "Lyon")
    second = await fetch_json(client, "Lyon")
    other_case = await fetch_json(client, "LYON")

    temperatures = {body["current_condition"]["tmp"] for body in (first, second, other_case)}
    assert temperatures == {temperature_for("lyon")}
    assert first == second


def test_city_values_do_not_depend_on_the_process_hash_seed() -> None:
    cities = ["Paris", "lyon", "Geneve", "tokyo-3"]
    script = (
        "from weathersim.app import latency_for, temperature_for\n"
        f"print([(temperature_for(c), latency_for(c)) for c in {cities!r}])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    expected = str([(temperature_for(c), latency_for(c)) for c in cities])
    assert outputs == {expected + "\n"}


def test_temperatures_and_latencies_stay_in_plausible_ranges() -> None:
    cities = [f"city-{number}" for number in range(300)]
    temperatures = [temperature_for(city) for city in cities]
    latencies = [latency_for(city) for city in cities]

    assert all(-5 <= temperature <= 32 for temperature in temperatures)
    assert all(MIN_LATENCY <= latency <= MAX_LATENCY for latency in latencies)
    # Deterministic must not mean constant: the demo should show varied cities.
    assert len(set(temperatures)) > 20
    assert len(set(latencies)) > 100


@pytest.mark.asyncio
async def test_it_waits_the_city_latency_times_the_scale_before_answering() -> None:
    scale = 0.1
    async with TestClient(TestServer(make_app(latency_scale=scale))) as test_client:
        for city in ("Paris", "Nantes", "Lausanne"):
            started = time.perf_counter()
            response = await test_client.get(f"/services/json/{city}")
            await response.read()
            elapsed = time.perf_counter() - started

            assert response.status == 200
            # Small allowance below: the event loop clock has a coarse resolution.
            assert elapsed >= latency_for(city) * scale - 0.005
            assert elapsed >= MIN_LATENCY * scale - 0.005
            assert elapsed <= MAX_LATENCY * scale + 0.5


@pytest.mark.asyncio
async def test_it_accepts_a_forty_character_city_name(client: TestClient) -> None:
    response = await client.get("/services/json/" + "a" * 40)

    assert response.status == 200


# --- invalid cities ------------------------------------------------------------------


async def refused_at_once(client: TestClient, path: str) -> None:
    """``path`` gets a 400 with a JSON error, without the simulated latency."""
    started = time.perf_counter()
    response = await client.get(path)

    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["code"] == "400"
    assert body["errors"][0]["text"]
    assert time.perf_counter() - started < 0.5


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "raw_city",
    [
        "..%2Fetc",
        "a" * 41,
        "paris%3Fx%3D1",
        "Z%C3%BCrich",
        "東京",
        "san%20francisco",
        "paris.json",
        "under_score",
        "paris%0A",
    ],
)
async def test_it_rejects_an_invalid_city_with_a_400_json_error(
    client: TestClient, raw_city: str
) -> None:
    await refused_at_once(client, f"/services/json/{raw_city}")


@pytest.mark.asyncio
async def test_it_does_not_route_an_empty_city(client: TestClient) -> None:
    response = await client.get("/services/json/")

    assert response.status == 404


# --- fault cities --------------------------------------------------------------------


def test_every_fault_city_is_listed_and_documented() -> None:
    assert set(FAULT_CITIES) == {
        "fail-500",
        "fail-404",
        "fail-timeout",
        "fail-hang",
        "fail-json",
        "fail-truncated",
        "fail-missing",
        "fail-slow",
    }
    assert weathersim.__doc__ is not None
    for name, description in FAULT_CITIES.items():
        assert f"``{name}``" in weathersim.__doc__
        assert description


@pytest.mark.asyncio
async def test_fail_500_answers_with_a_server_error(client: TestClient) -> None:
    response = await client.get("/services/json/fail-500")

    assert response.status == 500
    text = await response.text()
    assert 0 < len(text) < 200


@pytest.mark.asyncio
async def test_fault_city_names_are_case_insensitive(client: TestClient) -> None:
    response = await client.get("/services/json/FAIL-500")

    assert response.status == 500


@pytest.mark.asyncio
async def test_fail_404_answers_with_a_json_not_found_error(client: TestClient) -> None:
    response = await client.get("/services/json/fail-404")

    assert response.status == 404
    body = await response.json()
    assert body["errors"][0]["code"] == "404"


@pytest.mark.asyncio
@pytest.mark.parametrize("city", ["fail-timeout", "fail-hang"])
@pytest.mark.parametrize(
    "client_timeout",
    [SHORT_TIMEOUT, aiohttp.ClientTimeout(sock_read=0.2)],
    ids=["total", "sock_read"],
)
async def test_a_client_with_a_timeout_gives_up_on_slow_fault_cities(
    client: TestClient, city: str, client_timeout: aiohttp.ClientTimeout
) -> None:
    started = time.perf_counter()
    with pytest.raises(asyncio.TimeoutError):
        await client.get(f"/services/json/{city}", timeout=client_timeout)

    assert time.perf_counter() - started < 1.0


def test_fail_timeout_waits_longer_than_any_reasonable_client_timeout() -> None:
    assert SLOW_SECONDS >= 30


@pytest.mark.asyncio
async def test_fail_json_sends_malformed_json(client: TestClient) -> None:
    response = await client.get("/services/json/fail-json")

    assert response.status == 200
    assert response.content_type == "application/json"
    with pytest.raises(json.JSONDecodeError):
        await response.json()


@pytest.mark.asyncio
async def test_fail_truncated_breaks_off_before_the_declared_content_length(
    client: TestClient,
) -> None:
    response = await client.get("/services/json/fail-truncated")

    assert response.status == 200
    assert int(response.headers["Content-Length"]) > 0
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()


@pytest.mark.asyncio
async def test_fail_missing_sends_valid_json_without_a_temperature(client: TestClient) -> None:
    body = await fetch_json(client, "fail-missing")

    assert "current_condition" in body
    assert "tmp" not in body["current_condition"]


@pytest.mark.asyncio
async def test_fail_slow_answers_normally_after_a_scaled_delay(client: TestClient) -> None:
    started = time.perf_counter()
    body = await fetch_json(client, "fail-slow")

    assert time.perf_counter() - started >= FAIL_SLOW_SECONDS * SCALE - 0.005
    assert body["current_condition"]["tmp"] == temperature_for("fail-slow")


class _SetWhenLogged(logging.Handler):
    """Sets an event once a log message containing ``fragment`` is emitted."""

    def __init__(self, fragment: str, event: asyncio.Event) -> None:
        super().__init__()
        self.fragment = fragment
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if self.fragment in record.getMessage():
            self.event.set()


@pytest.mark.asyncio
async def test_a_hanging_request_ends_when_its_client_disconnects(
    plain_server: tuple[web.AppRunner, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, base_url = plain_server
    client_gone = asyncio.Event()
    watcher = _SetWhenLogged("city='fail-hang' status=client-gone", client_gone)
    app_logger = logging.getLogger(APP_LOGGER)
    app_logger.addHandler(watcher)
    caplog.set_level(logging.INFO, logger=APP_LOGGER)
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(asyncio.TimeoutError):
                await session.get(f"{base_url}/services/json/fail-hang", timeout=SHORT_TIMEOUT)

        await asyncio.wait_for(client_gone.wait(), timeout=1.0)
    finally:
        app_logger.removeHandler(watcher)


@pytest.mark.asyncio
async def test_shutting_down_releases_waiting_requests_promptly(
    plain_server: tuple[web.AppRunner, str],
) -> None:
    runner, base_url = plain_server
    async with aiohttp.ClientSession() as session:
        pending = [
            asyncio.create_task(session.get(f"{base_url}/services/json/{city}"))
            for city in ("fail-hang", "fail-timeout")
        ]
        await asyncio.sleep(0.1)

        started = time.perf_counter()
        await runner.cleanup()
        assert time.perf_counter() - started < 1.0

        for response in await asyncio.gather(*pending):
            assert response.status == 503
            response.release()


# --- counting a run's requests (X-Run) ------------------------------------------------

RUN_A = "a1" * 8
RUN_B = "b2" * 8


@pytest_asyncio.fixture
async def slow_client() -> AsyncIterator[TestClient]:
    """Latencies of 60 to 240 ms: long enough for requests sent together to overlap."""
    async with TestClient(TestServer(make_app(latency_scale=0.2))) as test_client:
        yield test_client


async def run_figures(client: TestClient, run_id: str) -> dict:
    response = await client.get(f"/runs/{run_id}")
    assert response.status == 200
    return await response.json()


async def get_as(client: TestClient, run_id: str, city: str) -> None:
    response = await client.get(f"/services/json/{city}", headers={"X-Run": run_id})
    assert response.status == 200
    await response.read()


@pytest.mark.asyncio
async def test_it_counts_the_most_requests_of_a_run_it_served_at_once(
    slow_client: TestClient,
) -> None:
    cities = ("paris", "lyon", "nice")
    await asyncio.gather(*(get_as(slow_client, RUN_A, city) for city in cities))
    await get_as(slow_client, RUN_A, "lille")  # alone: the most at once stays 3

    assert await run_figures(slow_client, RUN_A) == {"requests": 4, "most_at_once": 3}


@pytest.mark.asyncio
async def test_requests_one_after_another_were_never_more_than_one_at_once(
    client: TestClient,
) -> None:
    for city in ("paris", "lyon", "nice"):
        await get_as(client, RUN_A, city)

    assert await run_figures(client, RUN_A) == {"requests": 3, "most_at_once": 1}


@pytest.mark.asyncio
async def test_runs_with_different_ids_are_counted_apart(slow_client: TestClient) -> None:
    await asyncio.gather(
        *(get_as(slow_client, RUN_A, city) for city in ("paris", "lyon", "nice", "lille")),
        get_as(slow_client, RUN_B, "nantes"),
    )

    assert await run_figures(slow_client, RUN_A) == {"requests": 4, "most_at_once": 4}
    assert await run_figures(slow_client, RUN_B) == {"requests": 1, "most_at_once": 1}


@pytest.mark.asyncio
async def test_requests_without_a_valid_run_id_are_answered_and_not_counted(
    client: TestClient,
) -> None:
    plain = await fetch_json(client, "paris")
    for header in ("", "XYZ", "ab", "A1" * 8, "a" * 65):
        response = await client.get("/services/json/paris", headers={"X-Run": header})
        assert response.status == 200
        assert (await response.json())["current_condition"]["tmp"] == plain["current_condition"][
            "tmp"
        ]

    assert len(client.app[weathersim.RUNS]) == 0


@pytest.mark.asyncio
async def test_the_answer_to_a_counted_request_is_unchanged(client: TestClient) -> None:
    response = await client.get("/services/json/Paris", headers={"X-Run": RUN_A})

    assert response.status == 200
    assert set(await response.json()) == {"city_info", "current_condition"}


@pytest.mark.asyncio
async def test_failing_requests_count_and_leave_the_run_with_none_in_flight(
    client: TestClient,
) -> None:
    for city in ("fail-500", "fail-404", "Bad_name"):
        response = await client.get(f"/services/json/{city}", headers={"X-Run": RUN_A})
        await response.read()

    assert await run_figures(client, RUN_A) == {"requests": 3, "most_at_once": 1}
    assert client.app[weathersim.RUNS].get(RUN_A).in_flight == 0


@pytest.mark.asyncio
async def test_an_unknown_run_is_404_and_a_malformed_id_400(client: TestClient) -> None:
    unknown = await client.get(f"/runs/{RUN_B}")
    malformed = await client.get("/runs/not-hex")

    assert unknown.status == 404
    assert (await unknown.json())["errors"][0]["code"] == "404"
    assert malformed.status == 400
    assert (await malformed.json())["errors"][0]["code"] == "400"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_run_is_forgotten_after_its_time_to_live() -> None:
    clock = FakeClock()
    runs = RunCounter(ttl=10, clock=clock)
    runs.finish(runs.start(RUN_A))

    clock.now = 9.9
    assert runs.get(RUN_A) is not None
    clock.now = 20
    assert runs.get(RUN_A) is None
    assert len(runs) == 0


def test_a_new_request_keeps_a_run_alive() -> None:
    clock = FakeClock()
    runs = RunCounter(ttl=10, clock=clock)
    runs.finish(runs.start(RUN_A))
    clock.now = 8
    runs.finish(runs.start(RUN_A))
    clock.now = 15

    assert runs.get(RUN_A).requests == 2


def test_it_tracks_at_most_max_runs_dropping_the_least_recently_used() -> None:
    runs = RunCounter(max_runs=3, clock=FakeClock())
    ids = [f"{n:016x}" for n in range(5)]
    for run_id in ids[:3]:
        runs.finish(runs.start(run_id))
    runs.finish(runs.start(ids[0]))  # used again: now the most recent
    for run_id in ids[3:]:
        runs.finish(runs.start(run_id))

    assert len(runs) == 3
    assert [run_id for run_id in ids if runs.get(run_id) is not None] == [ids[0], ids[3], ids[4]]


def test_a_run_dropped_while_in_flight_finishes_harmlessly() -> None:
    runs = RunCounter(max_runs=1, clock=FakeClock())
    first = runs.start(RUN_A)
    runs.finish(runs.start(RUN_B))  # RUN_A is dropped, its request still in flight
    runs.finish(first)

    assert runs.get(RUN_A) is None
    assert (runs.get(RUN_B).requests, len(runs)) == (1, 1)


def test_the_run_counter_refuses_meaningless_bounds() -> None:
    with pytest.raises(ValueError, match="max_runs"):
        RunCounter(max_runs=0)
    with pytest.raises(ValueError, match="ttl"):
        RunCounter(ttl=0)


# --- paging through the cities ---------------------------------------------------------


async def get_page(client: TestClient, query: str) -> dict:
    response = await client.get(f"/cities?{query}")
    assert response.status == 200
    return await response.json()


@pytest.mark.asyncio
async def test_following_next_links_lists_every_known_city_once_in_order(
    client: TestClient,
) -> None:
    pages = [await get_page(client, "")]
    while pages[-1]["next"] is not None:
        response = await client.get(pages[-1]["next"])
        assert response.status == 200
        pages.append(await response.json())

    assert [page["page"] for page in pages] == [1, 2, 3, 4, 5]
    assert {page["pages"] for page in pages} == {5}
    assert {page["per_page"] for page in pages} == {PER_PAGE}
    assert [len(page["cities"]) for page in pages] == [3, 3, 3, 3, 2]
    listed = [city for page in pages for city in page["cities"]]
    assert [city["city"] for city in listed] == list(KNOWN_CITIES)
    assert listed[0] == {"city": "paris", "name": "Paris", "country": "France",
                         "tmp": temperature_for("paris")}  # fmt: skip
    assert pages[0]["next"] == "/cities?page=2&per_page=3"


@pytest.mark.asyncio
@pytest.mark.parametrize(("per_page", "sizes"), [(1, [1] * 14), (5, [5, 5, 4]), (14, [14]),
                                                 (MAX_PER_PAGE, [14])])  # fmt: skip
async def test_per_page_sets_the_size_of_each_page(
    client: TestClient, per_page: int, sizes: list[int]
) -> None:
    sizes_seen = []
    for number in range(1, len(sizes) + 1):
        page = await get_page(client, f"page={number}&per_page={per_page}")
        assert page["pages"] == len(sizes)
        sizes_seen.append(len(page["cities"]))
    assert sizes_seen == sizes
    assert page["next"] is None


@pytest.mark.asyncio
async def test_each_page_arrives_after_the_page_latency_times_the_scale() -> None:
    scale = 0.1
    async with TestClient(TestServer(make_app(latency_scale=scale))) as test_client:
        for query in ("page=1", "page=5", "page=2&per_page=7"):
            started = time.perf_counter()
            await get_page(test_client, query)
            elapsed = time.perf_counter() - started

            assert PAGE_LATENCY * scale - 0.005 <= elapsed <= PAGE_LATENCY * scale + 0.5


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=two",
        "page=",
        "page=1.5",
        "page=%20",
        "page=%EF%BC%91",  # a full-width digit one
        "page=" + "9" * 10,
        "page=" + "1" * 5000,
        "per_page=0",
        "per_page=21",
        "per_page=" + "9" * 9,
        "per_page=x",
    ],
)
async def test_a_malformed_page_query_is_a_400_at_once(client: TestClient, query: str) -> None:
    await refused_at_once(client, f"/cities?{query}")


@pytest.mark.asyncio
@pytest.mark.parametrize("query", ["page=6", "page=999999999", "page=2&per_page=14"])
async def test_a_page_past_the_last_is_a_404_that_says_how_many_there_are(
    client: TestClient, query: str
) -> None:
    response = await client.get(f"/cities?{query}")

    assert response.status == 404
    body = await response.json()
    assert body["errors"][0]["code"] == "404"
    assert "there are" in body["errors"][0]["text"]


@pytest.mark.asyncio
async def test_a_waiting_page_is_released_with_503_on_shutdown() -> None:
    runner = web.AppRunner(make_app(latency_scale=100))  # each page would take 40 s
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            pending = asyncio.create_task(session.get(f"http://{host}:{port}/cities?page=2"))
            await asyncio.sleep(0.1)

            started = time.perf_counter()
            await runner.cleanup()
            assert time.perf_counter() - started < 1.0
            response = await pending
            assert response.status == 503
            response.release()
    finally:
        await runner.cleanup()


# --- health and logging --------------------------------------------------------------


@pytest.mark.asyncio
async def test_health_answers_ok(client: TestClient) -> None:
    response = await client.get("/health")

    assert response.status == 200
    assert await response.text() == "ok"


@pytest.mark.asyncio
async def test_it_logs_one_line_per_weather_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=APP_LOGGER)

    await fetch_json(client, "Nice")
    await client.get("/services/json/fail-404")

    lines = [record.getMessage() for record in caplog.records if record.name == APP_LOGGER]
    assert len(lines) == 2
    assert re.fullmatch(r"city='Nice' status=200 latency=\d+\.\d{3}s", lines[0])
    assert lines[1].startswith("city='fail-404' status=404 ")


def test_make_app_rejects_a_negative_latency_scale() -> None:
    with pytest.raises(ValueError, match="latency_scale"):
        make_app(latency_scale=-1)


# --- command line --------------------------------------------------------------------


def test_settings_come_from_the_environment_when_flags_are_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEATHERSIM_HOST", "0.0.0.0")
    monkeypatch.setenv("WEATHERSIM_PORT", "9123")
    monkeypatch.setenv("WEATHERSIM_LATENCY_SCALE", "0.5")

    args = parse_args([])
    assert (args.host, args.port, args.latency_scale) == ("0.0.0.0", 9123, 0.5)

    args = parse_args(["--host", "::1", "--port", "9000", "--latency-scale", "2"])
    assert (args.host, args.port, args.latency_scale) == ("::1", 9000, 2.0)


def test_settings_have_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("WEATHERSIM_HOST", "WEATHERSIM_PORT", "WEATHERSIM_LATENCY_SCALE"):
        monkeypatch.delenv(variable, raising=False)

    args = parse_args([])
    assert (args.host, args.port, args.latency_scale) == ("127.0.0.1", 8001, 1.0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEATHERSIM_PORT", "eighty"),
        ("WEATHERSIM_PORT", "70000"),
        ("WEATHERSIM_LATENCY_SCALE", "x"),
    ],
)
def test_a_malformed_environment_variable_stops_with_a_message_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SystemExit) as exit_info:
        parse_args([])

    assert exit_info.value.code == 2
    assert variable in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen[str], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"simulator exited early: {process.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=0.5) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail("simulator did not answer /health in time")


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_command_line_serves_and_stops_quietly_on_a_signal(
    stop_signal: signal.Signals,
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weathersim",
            "--port",
            str(port),
            "--latency-scale",
            "0.01",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/health", process, within=5)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/services/json/Paris", timeout=2
        ) as response:
            body = json.load(response)
        assert body["current_condition"]["tmp"] == temperature_for("Paris")

        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode in (0, -stop_signal)
    assert "Traceback" not in stderr
    assert stdout.count("\n") == 1
    assert f"127.0.0.1:{port}" in stdout
    assert "city='Paris' status=200" in stderr
