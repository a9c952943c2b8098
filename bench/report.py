"""Results: one JSON file per scenario and a table of every target.

Each target records what was measured, the baseline measured beside it in the
same run, the limit the issue sets and whether it was met. Each file also
says how much of the machine other processes used while the scenario ran
(everything but this process and its descendants, the server among them): a
number taken on a busy machine says so in its own file. The load average is
kept too, though it counts the benchmark's own work.
"""

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
# Other processes using more than this share of all the cores make a run "busy".
BUSY_SHARE = 0.10
_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """Seconds the CPUs have not been idle since boot, from /proc/stat.

    Interrupt time is not charged to any process, so the benchmark's own
    loopback traffic shows up as a little "other" work too.
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    # user, nice, system, idle, iowait, irq, softirq, steal: all but the idle two.
    ticks = [int(x) for x in fields[:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS


def _tree_seconds() -> dict[int, float]:
    """CPU time of this process and each live descendant, reaped children included."""
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text.rsplit(")", 1)[1].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        # utime, stime, cutime, cstime
        spent[pid] = sum(int(x) for x in fields[11:15]) / _TICKS
    ours = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        grew = bool(found)
        ours |= found
    return {pid: spent[pid] for pid in ours if pid in spent}


@dataclass
class CpuWatch:
    """How much CPU the rest of the machine used between start and ``share()``."""

    machine: float = field(default_factory=_machine_busy_seconds)
    tree: dict[int, float] = field(default_factory=_tree_seconds)
    wall: float = field(default_factory=time.monotonic)

    def share(self) -> float:
        machine = _machine_busy_seconds() - self.machine
        now = _tree_seconds()
        # A descendant that started meanwhile counts from zero.
        ours = sum(spent - self.tree.get(pid, 0.0) for pid, spent in now.items())
        wall = (time.monotonic() - self.wall) * (os.cpu_count() or 1)
        return max(0.0, machine - ours) / wall if wall > 0 else 0.0


@dataclass
class Target:
    name: str
    measured: float
    limit: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    # "max": measured must not exceed limit; "min": must reach it.
    kind: str = "max"

    @property
    def met(self) -> bool:
        if self.measured != self.measured:  # NaN: nothing was measured
            return False
        return self.measured <= self.limit if self.kind == "max" else self.measured >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


@dataclass
class Result:
    scenario: str
    title: str
    quick: bool
    targets: list[Target] = field(default_factory=list)
    measurements: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    load_before: list[float] = field(default_factory=lambda: list(os.getloadavg()))
    cpu: CpuWatch = field(default_factory=CpuWatch)

    def as_dict(self) -> dict[str, Any]:
        load_after = list(os.getloadavg())
        cpus = os.cpu_count() or 1
        others = self.cpu.share()
        return {
            "scenario": self.scenario,
            "title": self.title,
            "quick": self.quick,
            "all_met": all(t.met for t in self.targets),
            "targets": [t.as_dict() for t in self.targets],
            "measurements": self.measurements,
            "notes": self.notes,
            "run": {
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
                "seconds": round(time.time() - self.started, 1),
                "commit": _commit(),
                "python": platform.python_version(),
                "cpus": cpus,
                "load_before": [round(x, 2) for x in self.load_before],
                "load_after": [round(x, 2) for x in load_after],
                # The load average counts this benchmark's own work; what
                # other processes used says whether something else ran.
                "other_processes_cpu_share": round(others, 3),
                "busy_machine": others > BUSY_SHARE,
            },
        }


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=RESULTS.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        # The results this run is writing are not changes to what is measured.
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", ":/", ":(top,exclude)bench/results"],
            cwd=RESULTS.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def write(result: Result, folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.scenario}.json"
    path.write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return path


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if value != value:
        return "n/a"
    if unit == "x":
        return f"{value:.2f}x"
    if unit in ("s", "ms"):
        return f"{value:.3f} {unit}" if unit == "s" else f"{value:.1f} ms"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "KiB":
        return f"{value:.1f} KiB"
    return f"{value:g} {unit}"


def table(results: list[dict[str, Any]]) -> str:
    rows = [("Scenario", "Target", "Measured", "Baseline", "Limit", "Met")]
    for result in results:
        for target in result["targets"]:
            baseline = _number(target["baseline"], target["unit"])
            if target["baseline_name"] and target["baseline"] is not None:
                baseline += f" ({target['baseline_name']})"
            limit = ("<= " if target["kind"] == "max" else ">= ") + _number(
                target["limit"], target["unit"]
            )
            rows.append(
                (
                    result["scenario"],
                    target["name"],
                    _number(target["measured"], target["unit"]),
                    baseline,
                    limit,
                    "yes" if target["met"] else "NO",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    busy = [r["scenario"] for r in results if r["run"]["busy_machine"]]
    if busy:
        lines.append("")
        lines.append(
            f"Taken while other processes used over {BUSY_SHARE:.0%} of the CPU: " + ", ".join(busy)
        )
    return "\n".join(lines)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
