"""Run the benchmarks: ``python -m bench [--quick] [scenario ...]``.

Starts the site as ``make run`` would, drives it from this process over real
sockets, writes one JSON file per scenario and prints the table of targets.
Full runs write to bench/results/, quick ones to bench/results/tmp/quick/.
"""

import argparse
import json
import resource
import sys
import time

from bench import fidelity, isolation, memory, pages, readers, rooms, sandbox, search, tracing
from bench.report import RESULTS, say, table, write
from bench.server import workspace

SCENARIOS = {
    "fidelity": fidelity.run,
    "readers": readers.run,
    "isolation": isolation.run,
    "pages": pages.run,
    "memory": memory.run,
    "tracing": tracing.run,
    "sandbox": sandbox.run,
    "search": search.run,
    "rooms": rooms.run,
}
# 1,000 readers need 1,000 sockets here and 1,000 in daphne, which inherits this.
OPEN_FILES = 8192


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if max(soft, wanted) < 2100:
        sys.exit(f"1,000 readers need about 2,100 open files; this shell allows {wanted}.")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"some of: {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, under two minutes")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario {', '.join(sorted(unknown))}")
    _raise_open_files()
    folder = RESULTS / "tmp" / "quick" if args.quick else RESULTS
    chosen = args.scenarios or list(SCENARIOS)
    started = time.monotonic()
    done = []
    with workspace() as space:
        for name in chosen:
            say(f"{name} ...")
            result = SCENARIOS[name](space, args.quick)
            path = write(result, folder)
            done.append(json.loads(path.read_text()))
            say(f"{name}: written to {path.relative_to(RESULTS.parent.parent)}")
    summary = table(done)
    print(summary)
    if not args.quick and set(chosen) == set(SCENARIOS):
        (folder / "summary.txt").write_text(summary + "\n")
    say(f"bench finished in {time.monotonic() - started:.0f} s")
    return 1 if args.strict and not all(r["all_met"] for r in done) else 0


if __name__ == "__main__":
    sys.exit(main())
