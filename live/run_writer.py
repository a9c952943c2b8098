"""Finished runs, written to the database in batches.

When many readers' runs finish together, writing each on its own means one
thread hop and one transaction per run, all competing with the event loop for
the interpreter just as it sends those readers their last events. The writer
instead writes what has piled up in one transaction, once runs have
stopped finishing for ``QUIET`` seconds (or the oldest has waited
``MAX_WAIT``): after a burst, not in the middle of it. The reader has had the
run's ``finished`` by then; only its storing waits.

A queued run is plain values (its JSON held as text): while a thousand wait
for their batch, they give the garbage collector nothing to walk.

Every run is still stored, or loudly given up on:

- what ``submit`` returns completes only once its run is written (or given
  up), so a caller that awaits it knows the run is in the database;
- a failed write is retried with a growing pause, run by run after the first
  failure, so one bad run cannot sink the others; a run that fails every
  attempt is logged as an error with everything needed to store it by hand;
- under daphne, the server's shutdown waits until every queued run is
  written (live.shutdown); anything still queued when the interpreter exits
  is logged.
"""

import asyncio
import atexit
import json
import logging
import weakref
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from lessons import page_freshness
from live import run_pruning
from live.models import DemoRun
from live.per_loop import PerLoop

logger = logging.getLogger(__name__)

QUIET = 0.05
MAX_WAIT = 1.0
FIRST_BACKOFF = 0.4
# Old runs are pruned after this many new ones are stored (live.run_pruning).
PRUNE_EVERY = 500


@dataclass(frozen=True, slots=True)
class RunRow:
    """A finished run, as the values of its row."""

    demo: str
    mode: str
    params: str  # JSON
    status: str
    elapsed: float
    timeline: str  # JSON
    reason: str
    trace: str | None = None  # JSON, for a traced run
    code: str = ""  # a reader's own program, run in a sandbox
    output: str | None = None  # JSON: what a reader's program wrote outside its tasks

    @classmethod
    def of(
        cls,
        *,
        demo: str,
        mode: str,
        params: dict,
        status: str,
        elapsed: float,
        timeline: list,
        reason: str,
        trace: list | None = None,
        code: str = "",
        output: list | None = None,
    ) -> "RunRow":
        return cls(
            demo, mode, json.dumps(params), status, elapsed, json.dumps(timeline), reason,
            None if trace is None else json.dumps(trace), code,
            None if output is None else json.dumps(output),
        )  # fmt: skip

    def model(self) -> DemoRun:
        return DemoRun(
            demo=self.demo,
            mode=self.mode,
            params=json.loads(self.params),
            status=self.status,
            elapsed=self.elapsed,
            timeline=json.loads(self.timeline),
            reason=self.reason,
            trace=None if self.trace is None else json.loads(self.trace),
            code=self.code,
            output=None if self.output is None else json.loads(self.output),
        )


@dataclass(slots=True)
class _Queued:
    row: RunRow
    attempts: int
    done: asyncio.Future[int | None]
    since: float
    failures: int = 0


@dataclass
class RunWriter:
    """The batching writer of one event loop; get it with ``writer()``."""

    # Weak: the writer is the value of a weak-keyed map of loops, and must not
    # keep its own key alive.
    loop_ref: "weakref.ref[asyncio.AbstractEventLoop]"
    queue: list[_Queued] = field(default_factory=list)
    _flushing: asyncio.Task[None] | None = None
    _timer: asyncio.TimerHandle | None = None
    _last_arrival: float = float("-inf")
    # Who waits in drain() for the queue to be written. Futures made when
    # needed, not an asyncio.Event, which would keep a reference to the loop.
    _drains: list[asyncio.Future[None]] = field(default_factory=list)
    # Starts full: a process's first batch prunes what earlier processes left.
    _stored_since_pruning: int = PRUNE_EVERY

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self.loop_ref()
        if loop is None:
            raise RuntimeError("the run writer's event loop is gone")
        return loop

    def submit(self, row: RunRow, *, attempts: int) -> asyncio.Future[int | None]:
        """Queue ``row`` for the next batch.

        The future gives the stored run's id, or None once every attempt failed.
        Cancelling it (a caller cancelled while waiting) does not take the run
        out: the queue holds the run, and is written all the same. Not wrapped
        in ``asyncio.shield`` for that: its future and callbacks would be some
        ten more objects per run, held while a finished crowd is queued.
        """
        self._last_arrival = self.loop.time()
        queued = _Queued(row, attempts, self.loop.create_future(), since=self._last_arrival)
        self.queue.append(queued)
        self._schedule()
        return queued.done

    async def drain(self) -> None:
        """Write everything queued now, without waiting out the interval."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._start_flushing()
        if self.queue or self._flushing is not None or self._timer is not None:
            done = self.loop.create_future()
            self._drains.append(done)
            await done

    def _schedule(self) -> None:
        if self._flushing is None and self._timer is None:
            self._timer = self.loop.call_later(QUIET, self._when_quiet)
        # else the running or planned flush picks the queue up

    def _when_quiet(self) -> None:
        self._timer = None
        now = self.loop.time()
        quiet_in = self._last_arrival + QUIET - now
        overdue_in = self.queue[0].since + MAX_WAIT - now if self.queue else 0.0
        if quiet_in > 0 and overdue_in > 0:
            self._timer = self.loop.call_later(min(quiet_in, overdue_in), self._when_quiet)
        else:
            self._start_flushing()

    def _start_flushing(self) -> None:
        self._timer = None
        self._flushing = self.loop.create_task(self._flush())

    async def _flush(self) -> None:
        batch, self.queue = self.queue, []
        try:
            await self._write(batch)
        except Exception:  # never leave a reader's store waiting forever
            logger.exception("the run writer failed")
            for queued in batch:
                if not queued.done.done():
                    _give_up(queued, "the run writer failed")
        finally:
            self._flushing = None
            if self.queue:
                self._schedule()
            else:
                drains, self._drains = self._drains, []
                for done in drains:
                    if not done.done():
                        done.set_result(None)

    async def _write(self, batch: list[_Queued]) -> None:
        if self._stored_since_pruning >= PRUNE_EVERY:
            # Before the batch, not after: its callers then know, once their
            # runs are stored, that nothing of theirs is still at work.
            self._stored_since_pruning = 0
            await _prune()
        retried = [q for q in batch if q.failures]
        fresh = [q for q in batch if not q.failures]
        failed: list[tuple[_Queued, DatabaseError]] = []
        if fresh:
            try:
                runs = await _insert([q.row for q in fresh])
            except DatabaseError as exc:
                failed += [(q, exc) for q in fresh]
            else:
                _stored(fresh, runs)
                self._stored_since_pruning += len(runs)
        # Runs that failed before are written one per transaction.
        for queued in retried:
            try:
                stored = await _insert([queued.row])
            except DatabaseError as exc:
                failed.append((queued, exc))
            else:
                _stored([queued], stored)
        if failed:
            await self._retry_later(failed)

    async def _retry_later(self, failed: list[tuple[_Queued, DatabaseError]]) -> None:
        again = []
        for queued, exc in failed:
            queued.failures += 1
            if queued.failures >= queued.attempts:
                _give_up(queued, str(exc))
            else:
                again.append(queued)
        if not again:
            return
        attempt = max(q.failures for q in again)
        logger.warning(
            "storing %d demo run(s) failed (attempt %d): %s; retrying",
            len(again),
            attempt,
            failed[0][1],
        )
        await asyncio.sleep(FIRST_BACKOFF * 2 ** (attempt - 1))
        self.queue[:0] = again


# One hop to the database thread per batch (per run for retried ones), where
# the thread's stale connections are closed before and after, as Channels does
# for each consumer message (which DemoConsumer skips).
@database_sync_to_async
def _insert(rows: list[RunRow]) -> list[int]:
    return _insert_rows(rows)


_COLUMNS = (
    "demo", "mode", "params", "status", "elapsed", "timeline", "reason", "trace", "code",
    "output", "created_at",
)  # fmt: skip
_JSON_COLUMNS = {"params", "timeline", "trace", "output"}
ROWS_PER_STATEMENT = 500  # 5,500 parameters: far below SQLite's and PostgreSQL's limits


def _insert_rows(rows: list[RunRow]) -> list[int]:
    """Insert the rows in one transaction; their ids, in order.

    Plain multi-row INSERTs rather than ``bulk_create``, which would make a
    model of every row (signals, the JSON decoded and encoded again): about
    four times the CPU, and some forty short-lived objects per run for the
    garbage collector, just after a crowd of runs has finished. Nothing
    listens for DemoRun saves but page freshness, told once per batch.
    """
    quote = connection.ops.quote_name
    is_postgres = connection.vendor == "postgresql"
    one_row = (
        "("
        + ", ".join(
            "CAST(%s AS jsonb)" if is_postgres and column in _JSON_COLUMNS else "%s"
            for column in _COLUMNS
        )
        + ")"
    )
    into = f"INSERT INTO {quote(DemoRun._meta.db_table)} ({', '.join(map(quote, _COLUMNS))})"
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    ids: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            params: list[object] = []
            for row in chunk:
                params += (row.demo, row.mode, row.params, row.status, row.elapsed,
                           row.timeline, row.reason, row.trace, row.code, row.output,
                           created_at)  # fmt: skip
            values = ", ".join([one_row] * len(chunk))
            cursor.execute(f"{into} VALUES {values} RETURNING {quote('id')}", params)
            # Ids are given in VALUES order; RETURNING promises no order.
            ids += sorted(returned[0] for returned in cursor.fetchall())
    return ids


async def _prune() -> None:
    try:
        await _prune_in_thread(keep=settings.DEMO_RUNS_KEPT)
    except Exception as exc:  # whatever it is, the batch behind it is still written
        logger.warning("could not prune old demo runs (%s); trying again later", exc, exc_info=True)


@database_sync_to_async
def _prune_in_thread(*, keep: int) -> None:
    run_pruning.prune_runs(keep=keep)
    # Every share needs a run stored first, so at most PRUNE_EVERY runs are
    # shared between two prunings: the cap is never overshot by more.
    run_pruning.prune_shared_runs(keep=settings.DEMO_SHARED_RUNS_KEPT)


def _stored(batch: list[_Queued], ids: list[int]) -> None:
    for queued, run_id in zip(batch, ids, strict=True):
        if not queued.done.done():
            queued.done.set_result(run_id)
    page_freshness.runs_stored()


def _give_up(queued: _Queued, why: str, *, answer: bool = True) -> None:
    run = queued.row.model()  # the run as it would have been stored
    logger.error(
        "could not store demo run after %d attempts (%s): demo=%s mode=%s "
        "params=%s status=%s elapsed=%s timeline=%s reason=%s trace records=%s",
        queued.failures or queued.attempts,
        why,
        run.demo,
        run.mode,
        run.params,
        run.status,
        run.elapsed,
        run.timeline,
        run.reason,
        "none" if run.trace is None else len(run.trace),
    )
    if answer and not queued.done.done():
        queued.done.set_result(None)


_writers = PerLoop(lambda loop: RunWriter(loop_ref=weakref.ref(loop)))


def writer() -> RunWriter:
    """The writer of the running loop (one in production; each test has its own)."""
    return _writers.get()


@atexit.register
def _report_unwritten() -> None:
    for run_writer in list(_writers.objects.values()):
        for queued in run_writer.queue:
            # The loop is gone: nobody is waiting, only the log can keep the run.
            _give_up(queued, "the process exited before it was written", answer=False)
