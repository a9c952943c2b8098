"""Stored runs survive their model's move from the lessons app to the live app.

A database migrated by the code before the move (lessons 0003, when DemoRun
and DemoRunTally were the lessons app's) is filled with runs, then migrated
to today's state: every row is still there, read through ``live.models``.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from live.models import DemoRun, DemoRunTally

LAST_BEFORE_THE_MOVE = ("lessons", "0003_demo_run_tally")


def migrate_back():
    """The database as the code before the move left it; its models then."""
    executor = MigrationExecutor(connection)
    executor.migrate([LAST_BEFORE_THE_MOVE, ("live", None)])
    return executor.loader.project_state(LAST_BEFORE_THE_MOVE).apps


def migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_runs_stored_before_the_move_are_all_kept():
    old = migrate_back()
    OldRun = old.get_model("lessons", "DemoRun")
    OldTally = old.get_model("lessons", "DemoRunTally")
    OldRun.objects.bulk_create(
        OldRun(demo="sleep", mode=mode, params={"tasks": n}, status="ok", elapsed=n / 10,
               timeline=[{"task": 0}], reason="")
        for n in range(1, 6) for mode in ("sync", "async")
    )  # fmt: skip
    OldTally.objects.create(demo="sleep", mode="sync", pruned_ok=7)
    before = sorted(OldRun.objects.values_list("id", "mode", "elapsed"))

    migrate_forward()

    assert sorted(DemoRun.objects.values_list("id", "mode", "elapsed")) == before
    assert DemoRun.objects.get(mode="async", params__tasks=3).timeline == [{"task": 0}]
    assert DemoRunTally.objects.get(demo="sleep", mode="sync").pruned_ok == 7
    # New runs go on in the same table, after the old ids.
    newest = DemoRun.objects.create(
        demo="sleep", mode="sync", params={}, status="ok", elapsed=0.1, timeline=[]
    )
    assert newest.pk > max(run_id for run_id, _, _ in before)


@pytest.mark.django_db(transaction=True)
def test_the_content_types_of_stored_runs_move_with_them():
    migrate_back()
    ContentType.objects.filter(app_label="live").delete()
    ContentType.objects.get_or_create(app_label="lessons", model="demorun")
    ContentType.objects.clear_cache()

    migrate_forward()

    assert ContentType.objects.filter(app_label="lessons", model="demorun").count() == 0
    assert ContentType.objects.filter(app_label="live", model="demorun").count() == 1
