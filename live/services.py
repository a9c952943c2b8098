"""Writes: storing finished demo runs."""

import asyncio

from demos.runner import RunResult
from live import run_writer

STORE_ATTEMPTS = 4


def demo_run_record(
    *,
    demo: str,
    mode: str,
    params: dict,
    result: RunResult,
    code: str = "",
    output: list | None = None,
) -> asyncio.Future[int | None]:
    """Store a finished run, retrying a briefly locked or unreachable database.

    Runs finishing together are written in one batch (live.run_writer). This
    queues the run at once and returns what to await: the stored run's id, or None,
    after an error with the whole run is logged, if every attempt failed (a run
    is never dropped without a trace in the logs). The caller need not keep the
    run's timeline while it waits.
    """
    row = run_writer.RunRow.of(
        demo=demo,
        mode=mode,
        params=params,
        status=result.status,
        elapsed=result.elapsed,
        timeline=result.tasks,
        reason=result.reason[:300],
        trace=result.trace,
        code=code,
        output=output,
    )
    return run_writer.writer().submit(row, attempts=STORE_ATTEMPTS)
