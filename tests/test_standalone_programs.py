"""Every listing runs as it is shown: copied to a file, run with ``python``, same lines.

Each demo's listing (the catalog's ``source``) is written to a file and run
by this Python in a process of its own, outside the project, against the
weather simulator a fixture starts (tests/sandboxes.py); what it prints is
compared with what the site's own run of that variant prints. Slow defaults are made small by
editing the constants in the copy, the way a reader would, and the site's run
is given the same parameters.
"""

import json
import os
import re

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from demos.registry import DEMOS
from tests.scripts import run_script
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

# demo, mode, parameters small enough for a test, whether the lines come in a
# defined order (one task after another) or not (tasks that run concurrently),
# and how the site's run ends ("failed" where a task fails on purpose).
CASES = [
    ("sleep", "sync", {"tasks": 3, "seconds": 0.05}, True, "ok"),
    ("sleep", "async", {"tasks": 3, "seconds": 0.05}, False, "ok"),
    ("weather", "sync", {}, True, "ok"),
    ("weather", "async", {}, False, "ok"),
    ("blocking", "sync", {"tasks": 2, "block": 0.5}, False, "ok"),
    ("blocking", "async", {"tasks": 2, "block": 0.5}, False, "ok"),
    ("order", "sync", {}, True, "ok"),
    ("order", "async", {}, True, "ok"),
    ("future", "sync", {"delay": 0.05}, True, "ok"),
    ("future", "async", {"delay": 0.05}, True, "ok"),
    ("one_fails", "sync", {}, True, "failed"),
    ("one_fails", "async", {}, True, "failed"),
    ("several_fail", "sync", {}, True, "failed"),
    ("several_fail", "async", {}, True, "failed"),
    ("timeouts", "sync", {"deadline": 0.2, "work": 0.5}, True, "ok"),
    ("timeouts", "async", {"deadline": 0.2, "work": 0.5}, True, "failed"),
    # One worker: with two, which of two jobs that end together is taken first,
    # and so what the queue holds, can differ from one run to the next.
    ("queue", "sync", {"jobs": 4, "workers": 1, "seconds": 0.05}, True, "ok"),
    ("queue", "async", {"jobs": 4, "workers": 1, "seconds": 0.05, "maxsize": 2}, True, "ok"),
    # Four requests: the first cities are the simulator's slowest, so all four are
    # in flight together even at its test speed, and the service's figure is the same.
    ("semaphore", "sync", {"requests": 4}, False, "ok"),
    ("semaphore", "async", {"requests": 4, "limit": 2}, False, "ok"),
    # Server and client are two tasks; their lines interleave.
    ("streaming", "sync", {"parts": 3, "seconds": 0.1}, False, "ok"),
    ("streaming", "async", {"parts": 3, "seconds": 0.1}, False, "ok"),
    # The mails cut off when the server stops are cancelled in no set order.
    ("background", "sync", {"requests": 3}, False, "failed"),
    ("background", "async", {"requests": 2}, True, "ok"),
    # Prefetching: a page may arrive just before or just after the previous one is
    # processed, at the simulator's test speed.
    ("pages", "sync", {"per_page": 7, "work": 0.05}, True, "ok"),
    ("pages", "async", {"per_page": 7, "work": 0.05}, False, "ok"),
    # The runner's verdict is printed: a failing test is a line, not a failed run.
    ("testing", "sync", {}, True, "ok"),
    ("testing", "async", {}, True, "ok"),
    # The block stays above the 0.1 s that debug mode reports.
    ("debug_mode", "sync", {"block": 0.2}, True, "failed"),
    ("debug_mode", "async", {"block": 0.2}, True, "failed"),
    # Jobs that end together may end in either order.
    ("cpu_work", "sync", {}, False, "ok"),
    ("cpu_work", "async", {}, False, "ok"),
    ("streams", "sync", {"clients": 2, "delay": 0.05}, False, "ok"),
    ("streams", "async", {"clients": 2, "delay": 0.05}, False, "ok"),
]
# "loop blocked for 0.47 s": a measured time, the same within the clock's noise.
MEASURED = re.compile(r"\d+\.\d+")
TOLERANCE = 0.1


def with_constants(source: str, params: dict) -> str:
    """The listing with each parameter's constant set to ``params``' value."""
    for name, value in params.items():
        source, count = re.subn(
            rf"^{name.upper()} = .*$", f"{name.upper()} = {value!r}", source, flags=re.M
        )
        assert count == 1, f"the listing declares {name.upper()} once"
    return source


async def run_as_script(source: str, folder, weather_url: str, name: str) -> list[str]:
    # The listing's own file name, which a program may print (debug_mode does).
    returncode, out, err = await run_script(source, folder / name, weather_url)
    assert returncode == 0, err
    assert err == ""
    return out.splitlines()


async def run_on_the_site(demo: str, mode: str, params: dict, status: str) -> list[str]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "s", "demo": demo, "mode": mode, "params": params}
    await ws.send_to(text_data=json.dumps(frame))
    lines = []
    while (event := await ws.receive_json_from(timeout=10))["type"] not in {"finished", "error"}:
        if event["type"] == "output":
            lines.append(event["text"])
    await ws.disconnect()
    assert event["type"] == "finished"
    assert event["status"] == status
    return lines


def same_lines(standalone: list[str], site: list[str], ordered: bool) -> bool:
    if not ordered:
        standalone, site = sorted(standalone), sorted(site)
    if len(standalone) != len(site):
        return False
    for mine, theirs in zip(standalone, site, strict=True):
        if MEASURED.sub("#", mine) != MEASURED.sub("#", theirs):
            return False
        numbers = zip(MEASURED.findall(mine), MEASURED.findall(theirs), strict=True)
        if any(abs(float(a) - float(b)) > TOLERANCE for a, b in numbers):
            return False
    return True


def test_every_variant_of_every_demo_is_run_as_a_script():
    variants = {(name, mode) for name, demo in catalog()["demos"].items() for mode in demo["modes"]}
    assert {(case[0], case[1]) for case in CASES} == variants


@pytest.mark.parametrize(
    ("demo", "mode", "params", "ordered", "status"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in CASES],
)
async def test_the_listing_run_as_a_script_prints_what_the_site_s_run_prints(
    weather_simulator, tmp_path, demo, mode, params, ordered, status
):
    source = catalog()["demos"][demo]["modes"][mode]["source"]

    name = os.path.basename(DEMOS[demo].variant(mode).main.__code__.co_filename)
    copy = with_constants(source, params)
    standalone = await run_as_script(copy, tmp_path, weather_simulator, name)
    site = await run_on_the_site(demo, mode, params, status)

    assert standalone, "the program printed something"
    assert same_lines(standalone, site, ordered), (standalone, site)


def test_lines_that_differ_only_by_a_measured_time_are_the_same():
    assert same_lines(
        ["loop blocked for 0.47 s", "step 1"], ["step 1", "loop blocked for 0.50 s"], False
    )
    assert not same_lines(["loop blocked for 0.47 s"], ["loop blocked for 0.97 s"], False)
    assert not same_lines(["step 1", "step 2"], ["step 2", "step 1"], True)
    assert not same_lines(["step 1"], ["step 1", "step 1"], False)
