"""What tracing a run's event loop costs: ``python -m bench.tracer_cost [--rounds N]``.

1. The sleep demo's async variant, 10 tasks of 0.2 s, traced and untraced in
   turns: the program's own time (from its start to main's return) and the
   whole of it (for the traced run: the private copy, the tracer, the loop and
   closing them).
2. A program that only yields (``await asyncio.sleep(0)`` in a loop), traced
   with no record limit: the records a run makes per second at most, and the
   size of 1,000 records as JSON.

Plain Python, no server: prints its figures.
"""

import argparse
import asyncio
import contextlib
import importlib.util
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import demos.sleep
from demos.tracer import Tracer, private_program

YIELDING = """\
import asyncio


async def steps(count):
    for _ in range(count):
        await asyncio.sleep(0)
"""


def untraced_sleep() -> tuple[float, float]:
    whole = time.perf_counter()
    with asyncio.Runner() as runner:
        origin = time.perf_counter()
        runner.run(demos.sleep.main_async(tasks=10, seconds=0.2))
        run = time.perf_counter() - origin
    return run, time.perf_counter() - whole


def traced_sleep() -> tuple[float, float]:
    whole = time.perf_counter()
    program = private_program(demos.sleep)
    tracer = Tracer(program)
    try:
        with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
            origin = time.perf_counter()
            tracer.begin(origin)
            runner.run(program.main_async(tasks=10, seconds=0.2))
            run = time.perf_counter() - origin
    finally:
        tracer.close()
    return run, time.perf_counter() - whole


def milliseconds(values: list[float]) -> str:
    ordered = sorted(values)
    tenth = ordered[len(ordered) // 10]
    ninetieth = ordered[len(ordered) * 9 // 10]
    return (
        f"median {statistics.median(ordered) * 1e3:8.2f} ms"
        f"  (p10 {tenth * 1e3:.2f}, p90 {ninetieth * 1e3:.2f})"
    )


def sleep_demo(rounds: int) -> None:
    traced: list[tuple[float, float]] = []
    untraced: list[tuple[float, float]] = []
    with contextlib.redirect_stdout(io.StringIO()):  # the demo prints Hello
        traced_sleep(), untraced_sleep()  # warm up
        for _ in range(rounds):
            traced.append(traced_sleep())
            untraced.append(untraced_sleep())
    print(f"10 tasks x 0.2 s, {rounds} rounds each, in turns")
    for what, index in (("program", 0), ("whole", 1)):
        print(f"  {what:8} untraced {milliseconds([r[index] for r in untraced])}")
        print(f"  {what:8} traced   {milliseconds([r[index] for r in traced])}")
        differences = [t[index] - u[index] for t, u in zip(traced, untraced, strict=True)]
        print(f"  {what:8} traced - untraced, paired: {milliseconds(differences)}")


def yielding(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "yielding.py"
        path.write_text(YIELDING)
        spec = importlib.util.spec_from_file_location("yielding", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        program = private_program(module)

    with asyncio.Runner() as runner:
        started = time.perf_counter()
        runner.run(module.steps(count))
        untraced = time.perf_counter() - started

    tracer = Tracer(program, max_records=sys.maxsize)
    with asyncio.Runner(loop_factory=tracer.new_loop) as runner:
        started = time.perf_counter()
        tracer.begin(started)
        runner.run(program.steps(count))
        traced = time.perf_counter() - started
    tracer.close()

    records = len(tracer.records)
    print(f"{count:,} yields: untraced {untraced * 1e3:.1f} ms, traced {traced * 1e3:.1f} ms")
    print(
        f"  {records:,} records: {records / traced:,.0f} records/s while the program runs,"
        f" {(traced - untraced) / records * 1e6:.1f} us of tracing each"
    )
    thousand = tracer.records[:1000]
    print(
        f"  1,000 records as JSON: {len(json.dumps(thousand)):,} bytes"
        f" ({len(json.dumps(thousand, separators=(',', ':'))):,} without spaces)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tracer_cost", description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--yields", type=int, default=20_000)
    arguments = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")
    sleep_demo(arguments.rounds)
    yielding(arguments.yields)


if __name__ == "__main__":
    main()
