"""Keep the table of stored runs bounded without losing the count of runs.

Every finished run is stored (live.run_writer), and a busy site stores
thousands an hour. Only the newest ``DEMO_RUNS_KEPT`` runs of each demo and
mode are kept: the pages show a median of recent runs, and older rows are
needed by nobody. The "ok" runs among those deleted are added to
``DemoRunTally`` in the same transaction, so "Runs so far" still counts every
run ever finished. Runs a reader shared (live.sharing) are the exception: their
address was handed out, so they are kept whatever their age and take no place
among the newest kept. They have a bound of their own: only the newest
``DEMO_SHARED_RUNS_KEPT`` shared runs are kept, whoever shared them, so the
database stays bounded however many addresses share (``prune_shared_runs``);
those deleted are counted in the tally like the others.

Each demo and mode is pruned in transactions of its own, each deleting at
most ``BATCH`` runs, oldest first, so that a large backlog (a first deploy
onto a full table, a lower ``DEMO_RUNS_KEPT``) never holds the lock, or the
list of what it deleted, for long. Each transaction's first statement writes
the tally row: on PostgreSQL that locks the row and on SQLite the database,
so two processes pruning at once take turns instead of both counting the
same runs.
"""

import logging

from django.db import connection, transaction
from django.db.models import F

from live.models import DemoRun, DemoRunTally

logger = logging.getLogger(__name__)

# Runs deleted in one transaction at the most.
BATCH = 5000


def prune_runs(*, keep: int) -> int:
    """Delete all but the newest ``keep`` runs of each demo and mode; return how many went."""
    deleted = 0
    pairs = DemoRun.objects.order_by().values_list("demo", "mode").distinct()
    for demo, mode in list(pairs):
        deleted += _prune_one(demo, mode, keep)
    return deleted


def _oldest_kept_beyond(demo: str, mode: str, keep: int) -> int | None:
    """The id of the newest run past the ``keep`` newest, or None if there is none."""
    runs = DemoRun.objects.filter(demo=demo, mode=mode, share_token__isnull=True)
    # Ids grow with every insert, so the newest runs have the highest ids.
    beyond = list(runs.order_by("-id").values_list("id", flat=True)[keep : keep + 1])
    return beyond[0] if beyond else None


def _prune_one(demo: str, mode: str, keep: int) -> int:
    # Looked at first without the lock: most of the time nothing is due.
    if _oldest_kept_beyond(demo, mode, keep) is None:
        return 0
    DemoRunTally.objects.get_or_create(demo=demo, mode=mode)
    deleted = 0
    while True:
        went = _prune_batch(demo, mode, keep)
        deleted += went
        if went < BATCH:
            break
    logger.info("pruned %d stored runs of %s/%s, kept the newest %d", deleted, demo, mode, keep)
    return deleted


def _prune_batch(demo: str, mode: str, keep: int) -> int:
    """Delete up to ``BATCH`` of the oldest runs past the ``keep`` newest, in one transaction."""
    with transaction.atomic():
        tally = DemoRunTally.objects.filter(demo=demo, mode=mode)
        tally.update(pruned_ok=F("pruned_ok"))  # takes the lock (see above)
        up_to_id = _oldest_kept_beyond(demo, mode, keep)  # again: another may have pruned
        if up_to_id is None:
            return 0
        oldest = DemoRun.objects.filter(
            demo=demo, mode=mode, id__lte=up_to_id, share_token__isnull=True
        ).order_by("id")
        batch_end = list(oldest.values_list("id", flat=True)[BATCH - 1 : BATCH])
        statuses = _delete(demo, mode, up_to_id=batch_end[0] if batch_end else up_to_id)
        finished_ok = statuses.count(DemoRun.Status.OK)
        tally.update(pruned_ok=F("pruned_ok") + finished_ok)
    return len(statuses)


def _delete(demo: str, mode: str, *, up_to_id: int) -> list[str]:
    """Delete the unshared runs up to ``up_to_id``; the status of each one deleted ("reader" for a
    run of a reader's own program).

    One statement, not QuerySet.delete(): that would load every old run to
    send a post_delete signal for each, and pruning changes no count a page
    shows, so nobody needs to hear of it. The tally is counted from what this
    statement deleted, not from a count before it, which on PostgreSQL may
    see a different set of rows.
    """
    table = connection.ops.quote_name(DemoRun._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE demo = %s AND mode = %s AND id <= %s "
            "AND share_token IS NULL RETURNING status, code",
            [demo, mode, up_to_id],
        )
        # A reader's own program's runs go uncounted, as the page counts them (live.selectors).
        return [status if not code else "reader" for (status, code) in cursor.fetchall()]


def prune_shared_runs(*, keep: int) -> int:
    """Delete all but the ``keep`` most lately shared runs; return how many went.

    Their demos and modes are mixed, so each batch counts its "ok" runs into
    the tally of each pair, in the same transaction. A run deleted by another
    process at the same time is not in this statement's RETURNING, so it is
    counted once.
    """
    deleted = 0
    while True:
        with transaction.atomic():
            shared = DemoRun.objects.filter(share_token__isnull=False)
            beyond = shared.order_by("-shared_at", "-id").values_list("id", flat=True)
            ids = list(beyond[keep : keep + BATCH])
            if not ids:
                break
            table = connection.ops.quote_name(DemoRun._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))}) "
                    "RETURNING demo, mode, status, code",
                    ids,
                )
                went = cursor.fetchall()
            finished_ok: dict[tuple[str, str], int] = {}
            for demo, mode, status, code in went:
                counted = status == DemoRun.Status.OK and not code
                finished_ok[demo, mode] = finished_ok.get((demo, mode), 0) + counted
            for demo, mode in sorted(finished_ok):  # one order: two pruners never deadlock
                DemoRunTally.objects.get_or_create(demo=demo, mode=mode)
                DemoRunTally.objects.filter(demo=demo, mode=mode).update(
                    pruned_ok=F("pruned_ok") + finished_ok[demo, mode]
                )
            deleted += len(went)
        if len(ids) < BATCH:
            break
    if deleted:
        logger.info("pruned %d shared runs, kept the %d most lately shared", deleted, keep)
    return deleted
