"""Finished runs are written in batches, and each is still stored or loudly given up.

(Retries of a briefly locked database and the error log of a dead one are in
tests/test_run_storage.py.)
"""

import asyncio
import logging

import pytest
from django.db import IntegrityError
from django.utils import timezone

from lessons import page_freshness
from live import run_writer
from live.models import DemoRun
from live.run_writer import RunRow

pytestmark = pytest.mark.django_db(transaction=True)


def a_run(demo: str = "sleep", elapsed: float = 0.1) -> RunRow:
    return RunRow.of(
        demo=demo,
        mode="async",
        params={"tasks": 1},
        status="ok",
        elapsed=elapsed,
        timeline=[{"task": 0, "start": 0.0, "end": elapsed, "ok": True, "output": []}],
        reason="",
    )


@pytest.fixture
def writes(monkeypatch):
    """Every call the writer makes to the database, as the list of runs it wrote."""
    calls: list[list[RunRow]] = []
    real = run_writer._insert_rows

    def recording(rows):  # in the writer's database thread
        calls.append(list(rows))
        if any(row.demo == "poison" for row in rows):
            raise IntegrityError("a run the database refuses")
        return real(rows)

    monkeypatch.setattr(run_writer, "_insert_rows", recording)
    monkeypatch.setattr(run_writer, "FIRST_BACKOFF", 0.01)
    return calls


async def test_runs_finishing_together_are_written_in_one_batch(writes):
    writer = run_writer.writer()

    stored = await asyncio.gather(*(writer.submit(a_run(), attempts=3) for _ in range(20)))

    assert len(writes) == 1
    assert len(writes[0]) == 20
    assert all(isinstance(run_id, int) for run_id in stored)
    assert await DemoRun.objects.acount() == 20


async def test_store_returns_once_the_run_is_in_the_database(writes):
    run_id = await run_writer.writer().submit(a_run(elapsed=0.4321), attempts=3)

    assert (await DemoRun.objects.aget(pk=run_id)).elapsed == 0.4321


async def test_a_run_the_database_refuses_does_not_sink_the_others(writes, caplog):
    writer = run_writer.writer()

    good, bad, other = await asyncio.gather(
        writer.submit(a_run(), attempts=2),
        writer.submit(a_run(demo="poison"), attempts=2),
        writer.submit(a_run(), attempts=2),
    )

    assert good is not None
    assert other is not None
    assert bad is None
    assert await DemoRun.objects.acount() == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "could not store demo run" in errors[0]
    assert "poison" in errors[0]


async def test_a_caller_cancelled_while_waiting_still_gets_its_run_stored(writes):
    writer = run_writer.writer()
    waiting = writer.submit(a_run(elapsed=0.777), attempts=3)
    waiting.cancel()

    await writer.drain()

    assert await DemoRun.objects.filter(elapsed=0.777).aexists()


async def test_drain_writes_what_is_queued_without_waiting_for_quiet(writes, monkeypatch):
    monkeypatch.setattr(run_writer, "QUIET", 60.0)
    writer = run_writer.writer()
    storing = writer.submit(a_run(), attempts=3)

    await asyncio.wait_for(writer.drain(), 5)

    assert await DemoRun.objects.acount() == 1
    assert await asyncio.wait_for(storing, 1) is not None


async def test_a_batch_waits_for_runs_to_stop_finishing_but_not_forever(writes, monkeypatch):
    monkeypatch.setattr(run_writer, "QUIET", 0.05)
    monkeypatch.setattr(run_writer, "MAX_WAIT", 0.3)
    writer = run_writer.writer()

    stores = []
    for _ in range(25):  # half a second of runs, never 50 ms apart
        stores.append(writer.submit(a_run(), attempts=3))
        await asyncio.sleep(0.02)
    await asyncio.gather(*stores)

    assert len(writes) >= 2  # the oldest did not wait for the stream to end
    assert sum(len(batch) for batch in writes) == 25


async def test_stored_runs_refresh_the_pages_statistics(writes):
    before = page_freshness.versions()[1]

    await run_writer.writer().submit(a_run(), attempts=3)

    assert page_freshness.versions()[1] != before


async def test_a_stored_run_reads_back_as_it_was_written():
    row = RunRow.of(
        demo="sleep",
        mode="sync",
        params={"tasks": 2, "seconds": 0.5},
        status="failed",
        elapsed=1.25,
        timeline=[{"task": 0, "start": 0.0, "end": 0.5, "ok": False, "output": [[0.5, "Hello"]]}],
        reason="ValueError: no",
    )

    run_id = await run_writer.writer().submit(row, attempts=1)
    run = await DemoRun.objects.aget(pk=run_id)

    assert (run.demo, run.mode, run.status, run.elapsed, run.reason) == (
        "sleep", "sync", "failed", 1.25, "ValueError: no"
    )  # fmt: skip
    assert run.params == {"tasks": 2, "seconds": 0.5}  # JSON, not a string of it
    assert run.timeline[0]["output"] == [[0.5, "Hello"]]
    assert abs((timezone.now() - run.created_at).total_seconds()) < 60


def test_a_large_batch_is_inserted_in_several_statements_with_ids_in_order(monkeypatch):
    monkeypatch.setattr(run_writer, "ROWS_PER_STATEMENT", 3)
    rows = [a_run(elapsed=i / 100) for i in range(7)]

    ids = run_writer._insert_rows(rows)

    stored = dict(DemoRun.objects.values_list("id", "elapsed"))
    assert [stored[run_id] for run_id in ids] == [i / 100 for i in range(7)]
