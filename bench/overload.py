"""Overload: 2,000 readers open the demo socket at once and ask for far more runs than allowed.

Starts the site the way tests/servers.py does (a real daphne, a fresh SQLite
database, the bundled weather simulator) with small caps, then:

- opens 2,000 websockets at the same moment, spread over 250 loopback
  addresses so that the per-address rate limit applies as it would to 250
  households of readers;
- each socket asks for 3 runs at once (one more than a page may run), some
  cancel one, some leave before their runs end;
- meanwhile loads the home page every 0.2 s and samples daphne's memory.

It then accounts for every run asked for: finished (ok, failed, cancelled with
a reason), refused (busy, rate_limited), or given up by a reader who left
(stored as cancelled by the server). A run with none of these is "lost".
Results go to bench/results/overload.json and a table on stdout.

    make bench-overload          # or: .venv/bin/python bench/overload.py --sockets 500
"""

import argparse
import asyncio
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402
from tutorialsite import processes  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "overload.json"
CAPS = {"DEMO_MAX_RUNNING": "20", "DEMO_SYNC_WORKERS": "8", "DEMO_RATE_LIMIT": "5/m"}
ADDRESSES = 250  # at most 254: one loopback address each
RUNS_PER_SOCKET = 3
PARAMS = {"tasks": 2, "seconds": 0.5}


@dataclass
class Reader:
    number: int
    round: int
    leaves_early: bool
    cancels_one: bool
    opened_in: float | None = None
    open_error: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)  # run id -> ending
    accepted: int = 0
    queued_messages: int = 0
    highest_position: int = 0
    left: bool = False

    @property
    def run_ids(self) -> list[str]:
        return [f"r{self.round}-{self.number}-{n}" for n in range(RUNS_PER_SOCKET)]

    @property
    def address(self) -> str:
        # Any 127/8 address is this host; each round has its own, so a round
        # starts with fresh rate limits.
        return f"127.0.{self.round}.{1 + self.number % ADDRESSES}"


def ending(event: dict) -> str:
    if event["type"] == "error":
        return event["code"]
    if event["status"] == "cancelled":
        return "cancelled" if event.get("reason") else "cancelled without a reason"
    return event["status"]


async def storm(site, reader: Reader, start: asyncio.Event) -> None:
    await start.wait()
    began = time.perf_counter()
    try:
        socket = await websockets.connect(
            site.ws_url,
            origin=site.url,
            open_timeout=120,
            compression=None,
            proxy=None,
            local_addr=(reader.address, 0),
        )
    except Exception as exc:  # counted: a socket that could not open asked for nothing
        reader.open_error = f"{type(exc).__name__}: {exc}"[:200]
        return
    reader.opened_in = time.perf_counter() - began
    mode = "sync" if reader.number % 5 == 0 else "async"
    try:
        for run_id in reader.run_ids:
            frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": mode, "params": PARAMS}
            await socket.send(json.dumps(frame))
        if reader.cancels_one:
            await socket.send(json.dumps({"type": "cancel", "id": reader.run_ids[1]}))
        while len(reader.outcomes) < RUNS_PER_SOCKET:
            event = json.loads(await socket.recv())
            match event["type"]:
                case "accepted":
                    reader.accepted += 1
                    if reader.leaves_early:
                        reader.left = True
                        return
                case "queued":
                    reader.queued_messages += 1
                    reader.highest_position = max(reader.highest_position, event["position"])
                case "error" if event["code"] == "unknown_run":
                    pass  # the cancel came after that run ended
                case "finished" | "error":
                    reader.outcomes[event["id"]] = ending(event)
    except websockets.ConnectionClosed:
        pass
    finally:
        await socket.close()


def page_latency(url: str) -> tuple[float, int]:
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            status = response.status
    except OSError:
        status = 0
    return time.perf_counter() - began, status


async def load_pages(url: str, stop: asyncio.Event, samples: list) -> None:
    while not stop.is_set():
        samples.append(await asyncio.to_thread(page_latency, url))
        await asyncio.sleep(0.2)


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name} for {pid}")


async def sample_rss(pid: int, stop: asyncio.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        await asyncio.sleep(0.25)


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def summary_ms(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def stored_runs(database: Path) -> Counter:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT status, reason FROM lessons_demorun").fetchall()
    return Counter(f"{status}: {reason}" if reason else status for status, reason in rows)


async def scenario(site, sockets: int, rounds: int, storm_limit: float) -> dict:
    pid = site.daphne.pid
    before = [await asyncio.to_thread(page_latency, site.url + "/") for _ in range(20)]
    rss_before = rss_kib(pid)
    results = [await one_round(site, sockets, n, storm_limit) for n in range(1, rounds + 1)]
    return {
        "sockets": sockets,
        "caps": CAPS,
        "runs_per_socket": RUNS_PER_SOCKET,
        "params": PARAMS,
        "addresses": ADDRESSES,
        "page_load_before": summary_ms([t for t, _ in before]),
        "daphne_rss_mib_before": mib(rss_before),
        "rounds": results,
    }


async def one_round(site, sockets: int, number: int, storm_limit: float) -> dict:
    pid = site.daphne.pid
    page_url = site.url + "/"
    readers = [
        Reader(number=n, round=number, leaves_early=n % 20 == 13, cancels_one=n % 10 == 7)
        for n in range(sockets)
    ]
    start, stop = asyncio.Event(), asyncio.Event()
    during: list = []
    peak = [rss_kib(pid)]
    watchers = [
        asyncio.create_task(load_pages(page_url, stop, during)),
        asyncio.create_task(sample_rss(pid, stop, peak)),
    ]
    tasks = [asyncio.create_task(storm(site, reader, start)) for reader in readers]
    await asyncio.sleep(0.5)  # every task is waiting at the starting line
    began = time.perf_counter()
    start.set()
    _, pending = await asyncio.wait(tasks, timeout=storm_limit)
    took = time.perf_counter() - began
    for task in pending:
        task.cancel()
    stop.set()
    await asyncio.gather(*watchers)

    # The runs of readers who left are stopped and stored by the server; wait
    # until the stored count stops moving (storage is batched).
    database = Path(site.env["DATABASE_URL"].removeprefix("sqlite:///"))
    stored, settled = stored_runs(database), 0
    while settled < 3:
        await asyncio.sleep(1)
        again = stored_runs(database)
        settled = settled + 1 if again == stored else 0
        stored = again
    after_pages = [await asyncio.to_thread(page_latency, page_url) for _ in range(20)]

    opened = [r for r in readers if r.opened_in is not None]
    endings: Counter = Counter()
    lost = 0
    for reader in opened:
        if reader.left:
            endings["left with the reader"] += RUNS_PER_SOCKET - len(reader.outcomes)
        else:
            lost += RUNS_PER_SOCKET - len(reader.outcomes)
        endings.update(reader.outcomes.values())
    return {
        "round": number,
        "opened": len(opened),
        "open_failures": Counter(r.open_error.split(":")[0] for r in readers if r.open_error),
        "open_time": summary_ms([r.opened_in for r in opened]),
        "storm_seconds": round(took, 1),
        "unfinished_readers": len(pending),
        "runs_asked": len(opened) * RUNS_PER_SOCKET,
        "endings": dict(endings),
        "lost": lost,
        "queued_messages": sum(r.queued_messages for r in readers),
        "highest_queue_position": max((r.highest_position for r in readers), default=0),
        "stored_so_far": dict(stored),
        "page_load": {
            "during": summary_ms([t for t, _ in during]),
            "after": summary_ms([t for t, _ in after_pages]),
            "statuses_during": dict(Counter(status for _, status in during)),
        },
        "daphne_rss_mib": {"peak": mib(peak[0]), "after": mib(rss_kib(pid))},
    }


def print_table(result: dict) -> None:
    rows = [
        ("sockets per round", result["sockets"]),
        ("caps", " ".join(f"{k}={v}" for k, v in result["caps"].items())),
        ("page load before", _ms(result["page_load_before"])),
        ("daphne RSS before", f"{result['daphne_rss_mib_before']} MiB"),
    ]
    for r in result["rounds"]:
        rows += [
            (f"round {r['round']}", ""),
            ("  sockets opened", f"{r['opened']} (failed: {dict(r['open_failures']) or 0})"),
            ("  open time p50 / p95 / max", _ms(r["open_time"])),
            ("  storm took", f"{r['storm_seconds']} s"),
            ("  runs asked", r["runs_asked"]),
            *[(f"    {name}", count) for name, count in sorted(r["endings"].items())],
            ("    lost (no ending)", r["lost"]),
            ("  queued messages / highest position",
             f"{r['queued_messages']} / {r['highest_queue_position']}"),
            ("  stored so far", r["stored_so_far"]),
            ("  page load during", _ms(r["page_load"]["during"])),
            ("  page statuses during", r["page_load"]["statuses_during"]),
            ("  page load after", _ms(r["page_load"]["after"])),
            ("  daphne RSS peak / after", "{peak} / {after} MiB".format(**r["daphne_rss_mib"])),
        ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _ms(summary: dict) -> str:
    if not summary:
        return "-"
    p50, p95, top, count = (summary[k] for k in ("p50_ms", "p95_ms", "max_ms", "count"))
    return f"{p50} / {p95} / {top} ms (n={count})"


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # daphne inherits it
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        sys.exit(f"need {needed} open files; raise the limit (ulimit -n {needed})")


def start_daphne_with_backlog(backlog: int):
    """tests.servers.start_daphne, with a listen backlog instead of Twisted's 50."""

    def start(env: dict[str, str], port: int) -> subprocess.Popen:
        endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog={backlog}"
        return processes.start(
            [sys.executable, "-m", "daphne", "-e", endpoint, "tutorialsite.asgi:application"],
            f"http://127.0.0.1:{port}/",
            name="daphne",
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )

    return start


def code_version() -> str:
    """The commit measured, and whether the work tree differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain").strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="storms one after another")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a storm may take")
    parser.add_argument(
        "--backlog", type=int, default=0, help="daphne's listen backlog (default: Twisted's 50)"
    )
    args = parser.parse_args()
    raise_open_files_limit(2 * args.sockets + 512)
    if args.backlog:
        servers.start_daphne = start_daphne_with_backlog(args.backlog)
    with tempfile.TemporaryDirectory() as tmp, servers.running_site(Path(tmp), **CAPS) as site:
        result = asyncio.run(scenario(site, args.sockets, args.rounds, args.timeout))
    result["backlog"] = args.backlog or 50
    result["code"] = code_version()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    if any(r["lost"] or r["unfinished_readers"] for r in result["rounds"]):
        sys.exit("some runs were lost or readers did not finish")


if __name__ == "__main__":
    main()
