"""Scenario 7, sandbox: readers' own programs, run by a sandbox runner.

The site for this scenario has what ``make run`` starts for readers'
programs: a private Redis as the channel layer and a sandbox runner beside
daphne (bench.server). Two measurements:

- Start-up. On one reader, ``run`` frames carrying code (the sleep demo's
  async listing, edited to 1 task of 0.05 s) alternate with the same demo
  run without code (1 task of 0.05 s, on the server's loop): the time from
  sending the frame to ``accepted``, and to the run's first event after it
  (its first ``task_started`` or ``output``), is timed by the reader. The
  sandbox has to be launched (bubblewrap, a fresh interpreter) before that
  first event; the built-in run beside it is the baseline.
- Four at once. Idle and loaded windows alternate, as in the isolation
  scenario: readers in a process of their own load the lesson page at a
  steady rate, with no sandbox running, or while four readers' programs run
  at once (the runner's default capacity), each on a socket of its own. Two
  kinds of program load it: the sleep listing edited to sleep (its 3 tasks
  sleep 3.5 s: sandboxes that wait) and edited to spin (1 task in a
  ``time.perf_counter()`` loop for 3.5 s, under the 5 s CPU limit: four
  sandboxes that want the CPU, the hard case). The pages are asked for only
  once all four programs have reported their first event, and must be done
  before any of them finishes.
"""

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from bench.http_load import fetch, paced
from bench.page_readers import PageReaders
from bench.report import Result, Target, say
from bench.server import HOST, LESSON_PATH, LESSON_TITLE, Site, Workspace
from bench.stats import median, percentile, summary
from bench.ws_load import RUN_TIMEOUT, close_readers, open_readers

FIRST_EVENT_LIMIT = 0.200  # the budget for the first event of a sandboxed run
START_TASKS, START_SECONDS = 1, 0.05
WARM_UP = 2
AT_ONCE = 4  # the runner's default capacity (DEMO_SANDBOXES)
LOAD_SECONDS = 3.5  # how long each loading program runs, from its own start
LOAD_TASKS = {"sleeping": 3, "cpu": 1}  # one spinning task: tasks on one loop take turns
PAGE_RATE = 200
PAGE_CONNECTIONS = 4
PAGE_SECONDS = 2.4  # inside the LOAD_SECONDS every program runs
PAGE_RATIO = 2.0
FIRST_EVENTS = ("task_started", "output")


def _listing() -> str:
    from demos.catalog import catalog

    return catalog()["demos"]["sleep"]["modes"]["async"]["source"]


def _edited(source: str, pattern: str, replacement: str) -> str:
    """``source`` with the one line matching ``pattern`` replaced; fails if there is none."""
    edited, count = re.subn(pattern, replacement, source, count=1, flags=re.MULTILINE)
    if count != 1:
        raise RuntimeError(f"the sleep demo's async listing has no line matching {pattern!r}")
    return edited


def _with(source: str, *, tasks: int | None = None, seconds: float | None = None) -> str:
    if tasks is not None:
        source = _edited(source, r"^TASKS = .*$", f"TASKS = {tasks}")
    if seconds is not None:
        source = _edited(source, r"^SECONDS = .*$", f"SECONDS = {seconds!r}")
    return source


def programs() -> dict[str, str]:
    """The programs readers send: edits of the sleep demo's async listing."""
    listing = _listing()
    spinning = _edited(listing, r"^import asyncio$", "import asyncio\nimport time")
    spinning = _edited(
        spinning,
        r"^(\s*)await asyncio\.sleep\(seconds\).*$",
        r"\1end = time.perf_counter() + seconds\n"
        r"\1while time.perf_counter() < end:  # holds the CPU, and this loop\n"
        r"\1    pass",
    )
    return {
        "start": _with(listing, tasks=START_TASKS, seconds=START_SECONDS),
        "sleeping": _with(listing, tasks=LOAD_TASKS["sleeping"], seconds=LOAD_SECONDS),
        "cpu": _with(spinning, tasks=LOAD_TASKS["cpu"], seconds=LOAD_SECONDS),
    }


@dataclass
class Timing:
    """One run as its reader saw it; times are seconds since the frame was sent."""

    sent: float = 0.0  # time.perf_counter() when the frame went
    accepted: float | None = None
    first: float | None = None
    finished: float | None = None
    server: float | None = None
    status: str | None = None
    events: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    def check(self, tasks: int) -> None:
        """Turn a run that failed, or missed an event of a complete run, into an error."""
        if self.error is not None:
            return
        expected = {"accepted": 1, "task_started": tasks, "output": tasks,
                    "task_finished": tasks, "finished": 1}  # fmt: skip
        got = {kind: self.events.get(kind, 0) for kind in expected}
        if self.status != "ok":
            self.error = f"status {self.status}"
        elif got != expected:
            self.error = f"events {dict(self.events)} (expected {expected})"


async def run_one(
    reader: ClientConnection,
    run_id: str,
    *,
    tasks: int,
    code: str | None = None,
    seconds: float | None = None,
    start: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
) -> Timing:
    """Send one run of the sleep demo, with ``code`` or with its own program
    (``tasks`` x ``seconds``), and read until its ``finished``. ``start`` lines
    runs up; ``started`` is set at the run's first event (or its end)."""
    message: dict[str, Any] = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async"}
    if code is not None:
        message["code"] = code
    else:
        message["params"] = {"tasks": tasks, "seconds": seconds}
    frame = json.dumps(message)
    timing = Timing()
    if start is not None:
        await start.wait()
    timing.sent = time.perf_counter()
    try:
        await reader.send(frame)
        async with asyncio.timeout(RUN_TIMEOUT):
            while True:
                event: dict[str, Any] = json.loads(await reader.recv())
                now = time.perf_counter() - timing.sent
                if event.get("id") != run_id:
                    continue
                kind = event["type"]
                timing.events[kind] += 1
                if kind == "accepted":
                    timing.accepted = now
                elif kind in FIRST_EVENTS and timing.first is None:
                    timing.first = now
                    if started is not None:
                        started.set()
                elif kind == "error":
                    timing.error = f"{event.get('code')}: {event.get('message')}"
                    break
                elif kind == "finished":
                    timing.finished = now
                    timing.server = float(event["elapsed"])
                    timing.status = event["status"]
                    break
    except Exception as exc:  # a closed socket, a timeout: counted, not raised
        timing.error = f"{type(exc).__name__}: {exc}"
    finally:
        if started is not None:
            started.set()  # a run that failed before its first event does not hold the others
    timing.check(tasks)
    return timing


def run(space: Workspace, quick: bool) -> Result:
    result = Result("sandbox", "Readers' programs: first event, and four sandboxes at once", quick)
    with space.site("sandbox", sandboxes=True) as site:
        asyncio.run(_measure(site, result, runs=10 if quick else 30, rounds=2 if quick else 4))
    return result


async def _measure(site: Site, result: Result, runs: int, rounds: int) -> None:
    status, body = await fetch(HOST, site.port, LESSON_PATH)
    if status != 200 or LESSON_TITLE not in body:
        raise RuntimeError(f"{LESSON_PATH} answered {status} without its title")
    listings = programs()
    start_errors = await _start_up(site, result, listings["start"], runs)
    load_errors = await _four_at_once(site, result, listings, rounds)
    result.measurements["programs"] = listings
    result.targets.append(
        Target("failed runs or pages", float(start_errors + load_errors), 0, "runs")
    )


async def _start_up(site: Site, result: Result, code: str, runs: int) -> int:
    (reader,) = await open_readers(site.ws_url + "/ws/demos/", 1, origin=site.origin)
    timings: dict[str, list[Timing]] = {"sandboxed": [], "built-in": []}
    try:
        for index in range(runs + WARM_UP):
            say(f"  sandbox: start-up run {index + 1}/{runs + WARM_UP}")
            order = ["sandboxed", "built-in"] if index % 2 == 0 else ["built-in", "sandboxed"]
            for name in order:
                timing = await run_one(
                    reader, f"{name}-{index}", tasks=START_TASKS,
                    code=code if name == "sandboxed" else None, seconds=START_SECONDS,
                )  # fmt: skip
                if index >= WARM_UP:
                    timings[name].append(timing)
    finally:
        await close_readers([reader])

    def seconds(name: str, what: str) -> list[float]:
        return [getattr(t, what) for t in timings[name] if getattr(t, what) is not None]

    errors = [t.error for runs_ in timings.values() for t in runs_ if t.error]
    first = {name: seconds(name, "first") for name in timings}
    result.measurements["start_up"] = {
        "runs_each": runs,
        "warm_up_runs_each": WARM_UP,
        "program": {"tasks": START_TASKS, "seconds": START_SECONDS},
        "what": "seconds from sending the run frame, timed by the reader",
        "to_accepted": {name: summary(seconds(name, "accepted")) for name in timings},
        "to_first_event": {name: summary(values) for name, values in first.items()},
        "to_finished": {name: summary(seconds(name, "finished")) for name in timings},
        "server_elapsed": {name: summary(seconds(name, "server")) for name in timings},
        "first_event_samples": first,
        "errors": errors,
    }
    result.targets.append(
        Target(
            "first event of a sandboxed run, p50",
            median(first["sandboxed"]) * 1000,
            FIRST_EVENT_LIMIT * 1000,
            "ms",
            median(first["built-in"]) * 1000,
            "built-in run",
        )
    )
    result.notes.append(
        f"A sandboxed run's first event came {median(first['sandboxed']) * 1000:.0f} ms "
        f"(p50; p90 {percentile(first['sandboxed'], 90) * 1000:.0f} ms) after its run frame, "
        f"its accepted {median(seconds('sandboxed', 'accepted')) * 1000:.1f} ms (p50); the same "
        f"demo without code: {median(first['built-in']) * 1000:.1f} ms to its first event."
    )
    return len(errors)


async def _four_at_once(site: Site, result: Result, listings: dict[str, str], rounds: int) -> int:
    await paced(HOST, site.port, LESSON_PATH, rate=PAGE_RATE, duration=1.0)  # warm up
    kinds = ["idle", "sleeping", "cpu"]
    windows: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for index in range(rounds):
        order = kinds[index % len(kinds) :] + kinds[: index % len(kinds)]  # rotate who goes first
        for kind in order:
            say(f"  sandbox: round {index + 1}/{rounds}, {kind}")
            code = None if kind == "idle" else listings[kind]
            windows[kind].append(await _window(site, code, tasks=LOAD_TASKS.get(kind, 0)))
            await asyncio.sleep(0.5)  # the sandboxes are gone, the runner's slots free

    # Every page request of a kind of window, pooled: a p99 of all of them.
    p99 = {
        kind: round(percentile([x for w in ws for x in w.pop("_latencies")], 99) * 1000, 3)
        for kind, ws in windows.items()
    }
    errors = sum(w["page_errors"] + w["run_errors"] + w["load_ended_early"]
                 for ws in windows.values() for w in ws)  # fmt: skip
    result.measurements["four_at_once"] = {
        "rounds_each": rounds,
        "sandboxes": AT_ONCE,
        "load_seconds": LOAD_SECONDS,
        "programs": {
            "sleeping": "the sleep listing, 3 tasks sleeping LOAD_SECONDS",
            "cpu": "the sleep listing, 1 task in a perf_counter loop for LOAD_SECONDS",
        },
        "page": {
            "path": LESSON_PATH,
            "rate": PAGE_RATE,
            "connections": PAGE_CONNECTIONS,
            "seconds": PAGE_SECONDS,
            "from": "a process of its own (bench.page_readers)",
        },
        "pooled_page_p99_ms": p99,
        "windows": windows,
    }
    for kind, what in (("cpu", "CPU-bound"), ("sleeping", "sleeping")):
        result.targets.append(
            Target(
                f"lesson page p99, {AT_ONCE} {what} sandboxes going",
                p99[kind],
                PAGE_RATIO * p99["idle"],
                "ms",
                p99["idle"],
                "idle",
            )
        )
    return errors


async def _window(site: Site, code: str | None, tasks: int) -> dict:
    # Started first, so its interpreter's start-up is over before anything is timed.
    page_readers = await PageReaders.start(
        site.port, LESSON_PATH, rate=PAGE_RATE, seconds=PAGE_SECONDS, connections=PAGE_CONNECTIONS
    )
    readers: list[ClientConnection] = []
    try:
        going: list[asyncio.Task[Timing]] = []
        if code is not None:
            # Four readers, as four people: one address holds two sandboxes of a process at most.
            readers = await open_readers(
                site.ws_url + "/ws/demos/",
                AT_ONCE,
                origin=site.origin,
                addresses=[f"127.0.0.{2 + i}" for i in range(AT_ONCE)],
            )
            start = asyncio.Event()
            started = [asyncio.Event() for _ in readers]
            going = [
                asyncio.create_task(
                    run_one(
                        reader, f"load{i}", tasks=tasks, code=code, start=start, started=started[i]
                    )
                )
                for i, reader in enumerate(readers)
            ]
            await asyncio.sleep(0.1)
            start.set()
            await asyncio.gather(*(event.wait() for event in started))
        page_readers.go()
        page = await page_readers.result()
        pages_done = time.perf_counter()
        runs = await asyncio.gather(*going)
    finally:
        page_readers.stop()
        await close_readers(readers)
    ends = [r.sent + r.finished for r in runs if r.finished is not None]
    window = {
        "page_requests": page.requests,
        "page_errors": page.errors,
        "page_p50_ms": round(percentile(page.latencies, 50) * 1000, 3),
        "page_p99_ms": round(percentile(page.latencies, 99) * 1000, 3),
        "run_errors": sum(1 for r in runs if r.error),
        # A run that ended before the pages were done left part of the window unloaded.
        "load_ended_early": sum(1 for end in ends if end < pages_done),
    }
    if runs:
        firsts = [r.sent + r.first for r in runs if r.first is not None]
        window.update(
            errors=[r.error for r in runs if r.error],
            # From the first frame sent to the last run's first event: the pages wait for it.
            all_started_after_s=round(max(firsts) - min(r.sent for r in runs), 4)
            if firsts else None,
            server_elapsed=[r.server for r in runs],
        )  # fmt: skip
    # Kept for pooling across windows, then left out of the results file.
    window["_latencies"] = page.latencies
    return window
