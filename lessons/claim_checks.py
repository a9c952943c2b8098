"""Check claims (lessons.claims) by running their demos for real.

Each distinct run (demo, mode, parameters) is made once per attempt, however
many claims name it, through the runner the site uses (demos.runner): async
variants on this process's event loop, sync variants on a thread pool. A claim
that misses its tolerance has its runs made again, up to ATTEMPTS in all,
before it counts as failed: a busy machine can slow one run.

Runs are made side by side, longest claimed first, ``jobs`` at a time. The
bundled demos mostly wait (sleep), which overlapping runs do not disturb; a
demo that computes should be checked with ``jobs=1``.
"""

import asyncio
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from demos.registry import DEMOS
from demos.runner import DemoExecution
from lessons.claims import Claim

ATTEMPTS = 3
DEFAULT_JOBS = 8

RunKey = tuple


@dataclass(frozen=True)
class Located:
    """A claim and where it is written."""

    lesson: str  # "course/lesson"
    claim: Claim


@dataclass
class Outcome:
    located: Located
    measured: float | None = None  # the last measurement, in the claim's unit
    attempts: int = 0
    ok: bool = False
    reason: str = ""  # why no value could be measured (a run failed)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    runs: int = 0  # demo runs made, attempts included

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


def _estimate(key: RunKey, claims: Iterable[Claim]) -> float:
    """The longest elapsed time a claim states for this run, or 0 when none does."""
    return max(
        (claim.value for claim in claims if claim.unit == "s" and key in claim.runs),
        default=0.0,
    )


async def _run(key: RunKey, executor: ThreadPoolExecutor) -> tuple[float | None, str]:
    name, mode, params = key
    execution = DemoExecution(
        DEMOS[name], mode, dict(params), emit=lambda event: None, executor=executor
    )
    result = await execution.execute()
    # A run "failed" by a task that fails on purpose (one_fails) still ran to its end;
    # one whose program raised (a reason) or that was cancelled measured nothing.
    if result.status == "cancelled" or result.reason:
        return None, f"the {name} {mode} run {result.status}: {result.reason or result.summary}"
    return result.elapsed, ""


async def _measure(
    keys: list[RunKey], claims: list[Claim], jobs: int, executor: ThreadPoolExecutor
) -> dict[RunKey, tuple[float | None, str]]:
    slots = asyncio.Semaphore(jobs)
    order = sorted(keys, key=lambda key: -_estimate(key, claims))

    async def one(key: RunKey) -> tuple[float | None, str]:
        async with slots:
            return await _run(key, executor)

    results = await asyncio.gather(*(one(key) for key in order))
    return dict(zip(order, results, strict=True))


async def check(
    located: list[Located], *, jobs: int = DEFAULT_JOBS, attempts: int = ATTEMPTS
) -> Report:
    report = Report(outcomes=[Outcome(item) for item in located])
    claims = [item.claim for item in located]
    pending = list(report.outcomes)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="claim") as executor:
        for _ in range(attempts):
            if not pending:
                break
            keys = list(dict.fromkeys(key for o in pending for key in o.located.claim.runs))
            measured = await _measure(keys, claims, jobs, executor)
            report.runs += len(keys)
            still = []
            for outcome in pending:
                claim = outcome.located.claim
                outcome.attempts += 1
                elapsed = {}
                for key in claim.runs:
                    value, reason = measured[key]
                    if value is None:
                        outcome.reason = reason
                        break
                    elapsed[key[1]] = value
                else:
                    outcome.reason = ""
                    outcome.measured = claim.measured_value(elapsed)
                    outcome.ok = claim.holds(outcome.measured)
                if not outcome.ok:
                    still.append(outcome)
            pending = still
    return report


def check_now(located: list[Located], **kwargs) -> Report:
    """``check`` from synchronous code (a command, the admin): on an event loop of its
    own, in a thread of its own, so that it works whether or not a loop runs here."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims") as runner:
        return runner.submit(asyncio.run, check(located, **kwargs)).result()


def cheap(
    located: list[Located], budget: float, max_runs: int
) -> tuple[list[Located], list[Located]]:
    """Split claims into those whose runs each claim to take at most ``budget`` seconds,
    up to ``max_runs`` distinct runs, and the rest (a ratio claim with no claimed
    seconds for its runs is never cheap)."""
    claims = [item.claim for item in located]
    quick, slow, runs = [], [], set()
    for item in located:
        keys = item.claim.runs
        estimates = [_estimate(key, claims) for key in keys]
        fits = all(0 < estimate <= budget for estimate in estimates)
        if fits and len(runs | set(keys)) <= max_runs:
            runs.update(keys)
            quick.append(item)
        else:
            slow.append(item)
    return quick, slow


def format_value(claim: Claim, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if claim.unit == "x" else f"{value:.2f} s"
