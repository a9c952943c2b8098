"""Writes: storing finished demo runs."""

import asyncio
import logging

from django.db import DatabaseError

from lessons.demos.runner import RunResult
from lessons.models import DemoRun

logger = logging.getLogger(__name__)

STORE_ATTEMPTS = 4


async def demo_run_record(
    *, demo: str, mode: str, params: dict, result: RunResult
) -> DemoRun | None:
    """Store a finished run, retrying a briefly locked or unreachable database.

    Returns None, after logging an error with the whole run, if every attempt
    failed: a run is never dropped without a trace in the logs.
    """
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            return await DemoRun.objects.acreate(
                demo=demo,
                mode=mode,
                params=params,
                status=result.status,
                elapsed=result.elapsed,
                timeline=result.tasks,
                reason=result.reason[:300],
            )
        except DatabaseError as exc:
            if attempt == STORE_ATTEMPTS:
                logger.error(
                    "could not store demo run after %d attempts (%s): demo=%s mode=%s "
                    "params=%s status=%s elapsed=%s",
                    attempt, exc, demo, mode, params, result.status, result.elapsed,
                )  # fmt: skip
                return None
            logger.warning("storing demo run failed (attempt %d): %s; retrying", attempt, exc)
            await asyncio.sleep(0.2 * 2**attempt)
    return None
