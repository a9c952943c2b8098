"""Paging through the simulator's city listing with async for: fetching each page only
once the previous one is processed, then prefetching the next page in a task."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from tests.demo_runs import ends, lines, run_demo, simulator_for
from tests.sockets import HEADERS
from tutorialsite.asgi import application
from weathersim.app import KNOWN_CITIES, PAGE_LATENCY, city_page, page_count

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

SCALE = 0.5
LATENCY = PAGE_LATENCY * SCALE  # 0.2 s for each page


@pytest.fixture
async def simulator(settings):
    async with simulator_for(settings, latency_scale=SCALE, request_timeout=2.0) as server:
        yield server


async def run(mode: str, params: dict) -> tuple[dict, list[dict]]:
    return await run_demo("pages", mode, params, within=10)


def arrived(number: int, pages: int) -> str:
    return f"page {number} of {pages} arrived"


def processed(number: int, per_page: int) -> str:
    cities = city_page(number, per_page)["cities"]
    temperatures = ", ".join(f"{city['name']} {city['tmp']} C" for city in cities)
    return f"page {number} processed: {temperatures}"


@pytest.mark.parametrize(("per_page", "work"), [(3, 0.1), (5, 0.3), (14, 0.05)])
async def test_page_after_page_fetching_and_processing_add_up(simulator, per_page, work):
    finished, events = await run("sync", {"per_page": per_page, "work": work})
    pages = page_count(per_page)

    assert finished["status"] == "ok"
    expected = []
    for number in range(1, pages + 1):
        expected += [arrived(number, pages), processed(number, per_page)]
    assert lines(events) == expected
    assert ends(events) == {}  # no task but main's: one lane
    total = pages * (LATENCY + work)
    assert total - 0.01 <= finished["elapsed"] < total * 1.15 + 0.3


async def test_every_known_city_is_processed_once(simulator):
    _, events = await run("async", {"per_page": 4, "work": 0})
    names = [line.split(": ", 1)[1] for line in lines(events) if "processed" in line]

    assert ", ".join(names).count(" C") == len(KNOWN_CITIES)


async def test_prefetching_fetches_the_next_page_while_the_current_one_is_processed(simulator):
    per_page, work = 3, 0.35  # work longer than a page takes to arrive
    finished, events = await run("async", {"per_page": per_page, "work": work})
    pages = page_count(per_page)

    assert finished["status"] == "ok"
    # Page n + 1 arrives while page n is still being processed.
    expected = [arrived(1, pages)]
    for number in range(1, pages + 1):
        if number < pages:
            expected.append(arrived(number + 1, pages))
        expected.append(processed(number, per_page))
    assert lines(events) == expected
    fetches = ends(events)
    assert sorted(fetches) == list(range(pages))  # a task, and a lane, for each page
    assert all(task["ok"] for task in fetches.values())
    # Only the first page is waited for: the others arrive during the work.
    total = LATENCY + pages * work
    assert total - 0.01 <= finished["elapsed"] < total * 1.15 + 0.3


async def test_prefetching_saves_little_when_the_work_is_short(simulator):
    per_page, work = 3, 0.05  # a page takes 0.2 s to arrive, its work 0.05 s
    finished, _ = await run("async", {"per_page": per_page, "work": work})

    # The consumer waits for each page in turn; only the work is hidden.
    total = page_count(per_page) * LATENCY + work
    assert total - 0.01 <= finished["elapsed"] < total * 1.15 + 0.3


async def test_prefetching_is_faster_than_page_after_page(simulator):
    sequential, _ = await run("sync", {"per_page": 3, "work": 0.2})
    prefetched, _ = await run("async", {"per_page": 3, "work": 0.2})

    assert prefetched["elapsed"] < sequential["elapsed"] * 0.75


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.usefixtures("sandbox_runner")
async def test_the_listing_runs_in_the_sandbox_against_the_simulator(mode):
    source = catalog()["demos"]["pages"]["modes"][mode]["source"]
    code = source.replace("WORK = 0.5 ", "WORK = 0.05 ", 1)
    assert code != source
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "c", "demo": "pages", "mode": mode, "code": code}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (finished := await ws.receive_json_from(timeout=20))["type"] not in {"finished", "error"}:
        events.append(finished)
    await ws.disconnect()

    assert finished["type"] == "finished"
    assert finished["status"] == "ok"
    assert sorted(lines(events)) == sorted(
        [arrived(number, 5) for number in range(1, 6)]
        + [processed(number, 3) for number in range(1, 6)]
    )
