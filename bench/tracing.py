"""Scenario 6, tracing: what recording a run's event loop costs.

Over the socket, traced and untraced async sleep runs (10 tasks of 0.2 s)
alternate on one reader, so both meet the same moments of the machine; the
traced one runs on a private loop in a pool thread, as the product runs it.
In this process, a busy program (tasks that hand the loop to each other
thousands of times) measures how many records a traced run makes a second
and how big 1,000 of them are on the wire.
"""

import asyncio
import json
import time

from bench.report import Result, Target, say
from bench.server import Site, Workspace
from bench.stats import median, summary
from bench.ws_load import close_readers, open_readers, run_demo

TASKS, SECONDS = 10, 0.2
TRACE_SLACK = 0.003  # the budget: traced within +3 ms of untraced
BUSY_TASKS, BUSY_SWITCHES = 10, 2_000


def run(space: Workspace, quick: bool) -> Result:
    result = Result("tracing", "Tracing a run: its cost, its rate and its size", quick)
    with space.site("tracing") as site:
        asyncio.run(_over_the_socket(site, result, runs=10 if quick else 30))
    _in_process(result)
    return result


async def _over_the_socket(site: Site, result: Result, runs: int) -> None:
    (reader,) = await open_readers(site.ws_url + "/ws/demos/", 1, origin=site.origin)
    timings: dict[str, list] = {"traced": [], "untraced": []}
    try:
        for index in range(runs + 2):  # the first two of each warm up
            say(f"  tracing: run {index + 1}/{runs + 2}")
            for name in ("traced", "untraced"):
                timing = await run_demo(
                    reader, f"{name}{index}", mode="async", tasks=TASKS, seconds=SECONDS,
                    trace=name == "traced",
                )  # fmt: skip
                if index >= 2:
                    timings[name].append(timing)
    finally:
        await close_readers([reader])
    errors = [t.error for runs_ in timings.values() for t in runs_ if t.error]
    untraced_records = sum(t.trace_records for t in timings["untraced"])
    if untraced_records:
        errors.append(f"untraced runs sent {untraced_records} trace records")
    if any(t.trace_records == 0 for t in timings["traced"]):
        errors.append("a traced run sent no trace records")
    server = {
        name: [t.server for t in runs_ if t.server is not None] for name, runs_ in timings.items()
    }
    result.measurements["socket"] = {
        "runs_each": runs,
        "server_seconds": {name: summary(values) for name, values in server.items()},
        "server_samples": server,
        "records_per_traced_run": summary([t.trace_records for t in timings["traced"]]),
        "errors": errors,
    }
    result.targets += [
        Target(
            "traced async 10x0.2 s, server-reported median",
            median(server["traced"]),
            median(server["untraced"]) + TRACE_SLACK,
            "s",
            median(server["untraced"]),
            "untraced",
        ),
        Target("runs that failed or lost their trace", float(len(errors)), 0, "runs"),
    ]


def _in_process(result: Result) -> None:
    from bench import busy_program
    from demos.tracer import Tracer, private_program

    def untraced() -> float:
        program = private_program(busy_program)
        started = time.perf_counter()
        asyncio.run(program.main(BUSY_TASKS, BUSY_SWITCHES))
        return time.perf_counter() - started

    def traced() -> tuple[float, list[dict]]:
        program = private_program(busy_program)
        tracer = Tracer(program, max_records=10**7)
        try:
            with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
                started = time.perf_counter()
                tracer.begin(started)
                runner.run(program.main(BUSY_TASKS, BUSY_SWITCHES))
                return time.perf_counter() - started, tracer.records
        finally:
            tracer.close()

    plain, rates, sizes = [], [], []
    for _ in range(5):
        say("  tracing: busy program, untraced and traced")
        plain.append(untraced())
        elapsed, records = traced()
        rates.append(len(records) / elapsed)
        encoded = json.dumps(
            {"type": "trace", "id": "r1", "records": records[:1000]}, separators=(",", ":")
        )
        sizes.append(len(encoded.encode()))
    result.measurements["busy_program"] = {
        "tasks": BUSY_TASKS,
        "switches_each": BUSY_SWITCHES,
        "untraced_seconds": summary(plain),
        "records_per_second": summary(rates),
        "bytes_per_1000_records": summary(sizes),
    }
    result.notes.append(
        f"A traced run sustains about {median(rates):,.0f} records a second here "
        f"(busy program, {BUSY_TASKS} tasks x {BUSY_SWITCHES} switches); 1,000 records "
        f"take {median(sizes) / 1024:.0f} KiB as one trace message."
    )
