"""The weather requests a sandboxed run has in flight, counted by the runner outside the sandbox."""

import asyncio

import pytest
from aiohttp.test_utils import TestServer
from django.conf import settings

from sandbox.launcher import Launcher, WeatherBridge, WeatherCount
from tests import services
from weathersim.app import make_app


@pytest.fixture
async def slow_simulator():
    # Each answer waits 0.015 to 0.06 s: long enough for requests sent together to overlap.
    server = TestServer(make_app(latency_scale=0.05))
    await server.start_server()
    yield str(server.make_url("/services/json/"))
    await server.close()


async def ask(path, city: str) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(
        f"GET /services/json/{city} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def test_requests_sent_together_are_counted_in_flight_together(slow_simulator, tmp_path):
    bridge = WeatherBridge(slow_simulator, tmp_path)
    path = await bridge.open(0)
    count = bridge.begin(0)
    try:
        answers = await asyncio.gather(
            *(ask(path, city) for city in ["paris", "lyon", "nice", "lille"])
        )
        await ask(path, "rennes")  # alone: the peak stays where the four put it
    finally:
        bridge.end(0)
        await bridge.close()
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    assert count.requests == 5
    assert count.peak == 4
    assert count.in_flight == 0
    assert count.peak_at is not None


async def test_each_slot_counts_only_its_own_run(slow_simulator, tmp_path):
    bridge = WeatherBridge(slow_simulator, tmp_path)
    first, second = await bridge.open(0), await bridge.open(1)
    counts = bridge.begin(0), bridge.begin(1)
    try:
        await asyncio.gather(*(ask(first, city) for city in ["paris", "lyon", "nice"]),
                             ask(second, "lille"))  # fmt: skip
    finally:
        await bridge.close()
    assert (counts[0].peak, counts[0].requests) == (3, 3)
    assert (counts[1].peak, counts[1].requests) == (1, 1)


async def test_a_connection_closed_before_its_answer_leaves_the_count(slow_simulator, tmp_path):
    bridge = WeatherBridge(slow_simulator, tmp_path)
    path = await bridge.open(0)
    count = bridge.begin(0)
    try:
        _, writer = await asyncio.open_unix_connection(str(path))
        writer.write(b"GET /services/json/fail-hang HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        for _ in range(100):
            if count.in_flight:
                break
            await asyncio.sleep(0.01)
        assert count.in_flight == 1
        writer.close()
        for _ in range(100):
            if not count.in_flight:
                break
            await asyncio.sleep(0.01)
    finally:
        await bridge.close()
    assert count.in_flight == 0
    assert count.requests == 1


def test_the_figures_give_the_peak_on_the_run_s_clock():
    count = WeatherCount()
    count.asked()
    count.asked()
    count.answered()
    count.asked()
    figures = count.figures(origin=count.peak_at - 0.25)
    assert figures == {"peak": 2, "peak_at": 0.25, "requests": 3}
    assert count.figures(origin=None)["peak_at"] is None


CONCURRENT = """\
import asyncio
import os

import aiohttp

URL = os.environ["WEATHER_API_URL"].rstrip("/")


async def get(session, city):
    async with session.get(f"{URL}/{city}") as response:
        return await response.json()


async def main():
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(get(session, city) for city in CITIES))


asyncio.run(main())
"""


async def sandboxed(launcher: Launcher, code: str, slot: int = 0):
    return await launcher.run(code, mode="async", trace=False, send=lambda event: None, slot=slot)


async def test_a_sandboxed_run_reports_its_peak_and_cannot_change_it(slow_simulator):
    services.bwrap_binary()
    launcher = Launcher(limits=settings.SANDBOX_LIMITS, weather_url=slow_simulator)
    await launcher.start()
    try:
        six = "CITIES = " + repr(["paris", "lyon", "nice", "lille", "rennes", "brest"]) + "\n"
        together = await sandboxed(launcher, six + CONCURRENT)
        # The program asks one city at a time, then tries to forge a bigger count.
        one_by_one = (
            six
            + CONCURRENT.replace(
                "await asyncio.gather(*(get(session, city) for city in CITIES))",
                "for city in CITIES:\n            await get(session, city)",
            )
            + "print({'peak': 99})\n"
        )
        alone = await sandboxed(launcher, one_by_one, slot=1)
    finally:
        await launcher.close()
    assert together.status == "ok", together
    assert together.weather["requests"] == 6
    assert together.weather["peak"] == 6
    assert 0 <= together.weather["peak_at"] <= together.elapsed
    assert alone.status == "ok", alone
    assert (alone.weather["peak"], alone.weather["requests"]) == (1, 6)


async def test_a_run_without_the_simulator_reports_no_count():
    services.bwrap_binary()
    launcher = Launcher(weather_url="")
    await launcher.start()
    try:
        outcome = await sandboxed(launcher, "print('hi')\n")
    finally:
        await launcher.close()
    assert outcome.weather is None
