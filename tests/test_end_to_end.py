"""The whole stack: a real daphne process, the simulator, and a real websocket client."""

import json
import urllib.request

import pytest
import websockets

from tests.servers import running_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("site")) as running:
        yield running


async def run(site, **frame) -> list[dict]:
    origin = site.url
    async with websockets.connect(site.ws_url, origin=origin) as socket:
        await socket.send(json.dumps({"type": "run", "id": "e2e", **frame}))
        events = []
        while True:
            event = json.loads(await socket.recv())
            events.append(event)
            if event["type"] in {"finished", "error"}:
                return events


async def test_an_async_sleep_run_streams_over_a_real_socket(site):
    events = await run(site, demo="sleep", mode="async", params={"tasks": 3, "seconds": 0.3})
    assert [e["type"] for e in events].count("output") == 3
    finished = events[-1]
    assert finished["status"] == "ok"
    assert 0.3 <= finished["elapsed"] < 0.6


async def test_a_sync_sleep_run_takes_the_sum_of_its_tasks(site):
    events = await run(site, demo="sleep", mode="sync", params={"tasks": 3, "seconds": 0.1})
    assert events[-1]["status"] == "ok"
    assert 0.3 <= events[-1]["elapsed"] < 0.8


async def test_the_weather_demo_reaches_the_simulator(site):
    events = await run(site, demo="weather", mode="async", params={"cities": ["paris", "fail-500"]})
    outputs = [e["text"] for e in events if e["type"] == "output"]
    assert len(outputs) == 1
    assert outputs[0].startswith("Temperature at paris: ")
    failed = [e for e in events if e["type"] == "task_finished" and not e["ok"]]
    assert [e["error"] for e in failed] == ["HTTP 500 from the server"]


async def test_a_socket_from_a_foreign_origin_is_refused(site):
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(site.ws_url, origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


def test_a_lesson_page_holds_its_demo(site):
    url = f"{site.url}/courses/asyncio/blocking-vs-non-blocking/"
    with urllib.request.urlopen(url, timeout=5) as response:
        page = response.read().decode()
    assert 'data-demo="sleep"' in page
