"""Many weather requests, with no limit and with a semaphore: the simulator's own count
of the most requests it served at once is what each program reports."""

import asyncio
import heapq

import pytest

from demos.programs.semaphore_limited import CITIES
from tests.demo_runs import ends, lines, run_demo, simulator_for
from weathersim.app import latency_for, temperature_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

# Latencies of 60 to 240 ms: long enough for requests sent together to overlap on a
# busy machine, short enough for a quick test.
SCALE = 0.2


@pytest.fixture
async def simulator(settings):
    async with simulator_for(settings, latency_scale=SCALE, request_timeout=2.0) as server:
        yield server


async def run(mode: str, params: dict) -> tuple[dict, list[dict]]:
    return await run_demo("semaphore", mode, params, within=10)


def cities(requests: int) -> list[str]:
    return [CITIES[n % len(CITIES)] for n in range(requests)]


def expected_lines(requests: int) -> list[str]:
    return sorted(
        f"request {number}: {city} is at {temperature_for(city)} C"
        for number, city in enumerate(cities(requests), start=1)
    )


def finish_times(requests: int, limit: int) -> list[float]:
    """When each request ends, if each starts as soon as one of ``limit`` slots is free,
    in the order the tasks were made."""
    slots = [0.0] * min(limit, requests)
    ends_at = []
    for city in cities(requests):
        start = heapq.heappop(slots)
        ends_at.append(start + latency_for(city) * SCALE)
        heapq.heappush(slots, ends_at[-1])
    return ends_at


@pytest.mark.parametrize("requests", [1, 5, 12])
async def test_with_no_limit_the_service_sees_every_request_at_once(simulator, requests):
    finished, events = await run("sync", {"requests": requests, "limit": 3})
    printed = lines(events)

    assert finished["status"] == "ok"
    assert sorted(printed[:-1]) == expected_lines(requests)
    assert printed[-1] == f"the service saw at most {requests} requests at once"
    tasks = ends(events)
    assert sorted(tasks) == list(range(requests))  # a lane for each request
    assert all(task["ok"] for task in tasks.values())
    slowest = max(finish_times(requests, requests))
    assert slowest - 0.01 <= finished["elapsed"] < slowest + 0.25


@pytest.mark.parametrize(("requests", "limit"), [(12, 3), (12, 1), (5, 10), (20, 4)])
async def test_with_a_semaphore_the_service_sees_at_most_limit_at_once(simulator, requests, limit):
    finished, events = await run("async", {"requests": requests, "limit": limit})
    printed = lines(events)

    assert finished["status"] == "ok"
    assert sorted(printed[:-1]) == expected_lines(requests)
    assert printed[-1] == f"the service saw at most {min(requests, limit)} requests at once"
    tasks = ends(events)
    assert sorted(tasks) == list(range(requests))
    assert all(task["ok"] for task in tasks.values())
    last = max(finish_times(requests, limit))
    # Each slot's requests follow one another, so small delays add up along a slot.
    assert last - 0.01 <= finished["elapsed"] < last * 1.15 + 0.25


async def test_the_semaphore_makes_the_run_longer_than_no_limit(simulator):
    unlimited, _ = await run("sync", {"requests": 12})
    limited, _ = await run("async", {"requests": 12, "limit": 3})

    assert limited["elapsed"] > unlimited["elapsed"] * 1.5


async def test_two_runs_at_once_are_counted_apart(simulator):
    (_, first), (_, second) = await asyncio.gather(
        run("sync", {"requests": 8}), run("async", {"requests": 8, "limit": 2})
    )

    assert lines(first)[-1] == "the service saw at most 8 requests at once"
    assert lines(second)[-1] == "the service saw at most 2 requests at once"
