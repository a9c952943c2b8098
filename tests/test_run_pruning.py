"""Stored runs are pruned to the newest of each demo and mode, and still counted."""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.db import DatabaseError, InterfaceError
from django.db.backends.utils import CursorWrapper
from django.db.models.signals import post_delete

from live import run_pruning, run_writer, selectors
from live.models import DemoRun, DemoRunTally
from live.run_pruning import prune_runs

pytestmark = pytest.mark.django_db(transaction=True)


def store(demo: str, mode: str, status: str, count: int) -> list[int]:
    runs = DemoRun.objects.bulk_create(
        DemoRun(demo=demo, mode=mode, params={}, status=status, elapsed=0.5, timeline=[])
        for _ in range(count)
    )
    return [run.pk for run in runs]


def kept_ids(demo: str, mode: str) -> set[int]:
    return set(DemoRun.objects.filter(demo=demo, mode=mode).values_list("id", flat=True))


def test_only_the_newest_runs_of_each_demo_and_mode_are_kept():
    old_sleep = store("sleep", "async", "ok", 4)
    new_sleep = store("sleep", "async", "ok", 3)
    sync_sleep = store("sleep", "sync", "ok", 2)
    weather = store("weather", "async", "failed", 5)

    deleted = prune_runs(keep=3)

    assert kept_ids("sleep", "async") == set(new_sleep)
    assert kept_ids("sleep", "sync") == set(sync_sleep)  # fewer than kept: untouched
    assert kept_ids("weather", "async") == set(weather[-3:])
    assert deleted == len(old_sleep) + 2


async def test_pruned_runs_still_count_in_runs_so_far():
    await sync_to_async(store)("sleep", "async", "ok", 6)
    await sync_to_async(store)("sleep", "async", "failed", 2)  # never counted
    await sync_to_async(store)("sleep", "async", "ok", 2)
    before = await selectors.demo_stats(demos=["sleep"])

    await sync_to_async(prune_runs)(keep=3)
    after = await selectors.demo_stats(demos=["sleep"])

    assert await DemoRun.objects.acount() == 3
    assert before["sleep"]["async"]["count"] == 8
    assert after["sleep"]["async"]["count"] == 8


def counts_kept_runs(sql: str) -> bool:
    return "COUNT(" in sql and DemoRun._meta.db_table in sql


def reads_the_tally(sql: str) -> bool:
    return sql.lstrip("( ").upper().startswith("SELECT") and DemoRunTally._meta.db_table in sql


# The worst moments: a prune commits just before the page counts the runs it
# keeps, or just before it reads the tally of those pruned.
@pytest.mark.parametrize("before", [counts_kept_runs, reads_the_tally])
async def test_a_prune_that_commits_while_the_page_reads_its_counts_loses_no_run(
    monkeypatch, before
):
    await sync_to_async(store)("sleep", "async", "ok", 8)
    execute = CursorWrapper.execute
    pruned: list[int] = []
    pruning = False

    def prune_first(self, sql, params=None):
        nonlocal pruning
        if not pruning and before(sql):
            pruning = True
            pruned.append(prune_runs(keep=3))
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", prune_first)
    stats = await selectors.demo_stats(demos=["sleep"])

    assert pruned == [5]
    assert stats["sleep"]["async"]["count"] == 8


def test_pruning_twice_counts_each_run_once():
    store("sleep", "async", "ok", 5)
    prune_runs(keep=2)
    store("sleep", "async", "ok", 3)
    prune_runs(keep=2)
    prune_runs(keep=2)  # nothing left to prune

    tally = DemoRunTally.objects.get(demo="sleep", mode="async")
    assert tally.pruned_ok == 6
    assert DemoRun.objects.count() == 2


def test_a_large_backlog_is_pruned_oldest_first_a_batch_per_transaction(monkeypatch):
    monkeypatch.setattr(run_pruning, "BATCH", 2)
    old = store("sleep", "async", "ok", 3) + store("sleep", "async", "failed", 2)
    new = store("sleep", "async", "ok", 2)
    batches = []
    delete = run_pruning._delete

    def recorded(demo, mode, *, up_to_id):
        statuses = delete(demo, mode, up_to_id=up_to_id)
        batches.append((sorted(kept_ids(demo, mode)), statuses))
        return statuses

    monkeypatch.setattr(run_pruning, "_delete", recorded)
    assert prune_runs(keep=2) == 5

    # RETURNING promises no order within a statement.
    assert [sorted(statuses) for _, statuses in batches] == [
        ["ok", "ok"], ["failed", "ok"], ["failed"],
    ]  # fmt: skip
    assert batches[0][0] == old[2:] + new  # the two oldest went first
    assert kept_ids("sleep", "async") == set(new)
    assert DemoRunTally.objects.get(demo="sleep", mode="async").pruned_ok == 3


def test_pruning_loads_no_run_and_sends_no_signal(django_assert_max_num_queries):
    store("sleep", "async", "ok", 50)
    heard = []

    def deleted(**kwargs):
        heard.append(kwargs["instance"])

    post_delete.connect(deleted, sender=DemoRun, dispatch_uid="test_pruning")
    try:
        with django_assert_max_num_queries(15):  # not one query per run (40 go)
            prune_runs(keep=10)
    finally:
        post_delete.disconnect(dispatch_uid="test_pruning", sender=DemoRun)

    assert heard == []  # the old runs went in one statement, never loaded
    assert DemoRun.objects.count() == 10


async def test_the_run_writer_prunes_once_enough_runs_are_stored(settings, monkeypatch):
    settings.DEMO_RUNS_KEPT = 2
    monkeypatch.setattr(run_writer, "PRUNE_EVERY", 4)
    writer = run_writer.writer()
    writer._stored_since_pruning = 0
    row = run_writer.RunRow.of(
        demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[], reason=""
    )

    for _ in range(4):
        await writer.submit(row, attempts=1)
    assert await DemoRun.objects.acount() == 4  # due, and done before the next batch
    await writer.submit(row, attempts=1)

    assert await DemoRun.objects.acount() == 3  # two kept, then the new one
    stats = await selectors.demo_stats(demos=["sleep"])
    assert stats["sleep"]["async"]["count"] == 5


@pytest.mark.parametrize(
    "failure", [DatabaseError("database is locked"), InterfaceError("connection already closed")]
)
async def test_a_failed_pruning_is_logged_and_the_runs_stay_stored(monkeypatch, caplog, failure):
    monkeypatch.setattr(run_writer, "PRUNE_EVERY", 1)

    def broken(*, keep: int) -> int:
        raise failure

    monkeypatch.setattr(run_pruning, "prune_runs", broken)
    row = run_writer.RunRow.of(
        demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[], reason=""
    )

    with caplog.at_level(logging.WARNING, logger="live.run_writer"):
        stored = await run_writer.writer().submit(row, attempts=1)  # pruned first

    assert stored is not None
    assert await DemoRun.objects.acount() == 1
    assert f"could not prune old demo runs ({failure})" in caplog.text


def test_nothing_is_locked_or_written_when_nothing_is_due(django_assert_num_queries):
    store("sleep", "async", "ok", 3)

    with django_assert_num_queries(2):  # the pairs, then one look at each
        assert prune_runs(keep=3) == 0

    assert not DemoRunTally.objects.exists()
