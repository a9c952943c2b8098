"""How a demo's own code reports its tasks and prints to the reader.

Demo code stays ordinary Python: it decorates each unit of work with ``@task``
and calls ``print``. While a run is active, ``@task`` records when each call
starts and ends and ``print`` sends its line to the reader; outside a run both
behave as plain Python, so a demo module also runs on its own.

Events may be produced on the event loop (async variants) or on a worker
thread (sync variants); ``RunReporter`` timestamps them where they happen and
hands them to the loop thread-safely.
"""

import asyncio
import builtins
import functools
import inspect
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from lessons.demos.errors import explain

_current_run: ContextVar["RunReporter | None"] = ContextVar("current_run", default=None)
_current_task: ContextVar[int | None] = ContextVar("current_task", default=None)

Event = dict[str, Any]


class RunCancelled(BaseException):
    """Raised in a sync run between steps once the reader has cancelled it.

    A BaseException, like asyncio.CancelledError, so that a demo's own
    ``except Exception`` cannot swallow it.
    """


class CancelFlag:
    """Set once, read from any thread: ``threading.Event`` without its Condition.

    Nothing ever waits on it, and a run lives for the whole of a reader's run,
    so the lighter object is worth it when a thousand runs go at once.
    """

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class RunReporter:
    """Collects one run's events, with times measured from its start."""

    def __init__(self, loop: asyncio.AbstractEventLoop, emit: Callable[[Event], None]) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._emit = emit
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._task_count = 0
        self.tasks: list[dict[str, Any]] = []
        self.cancel_requested = CancelFlag()

    # Time -----------------------------------------------------------------
    def start(self) -> None:
        self._started_at = time.perf_counter()

    @property
    def started(self) -> bool:
        return self._started_at is not None

    def now(self) -> float:
        if self._started_at is None:
            raise RuntimeError("the run has not started")
        return round(time.perf_counter() - self._started_at, 4)

    # Tasks ------------------------------------------------------------------
    def new_task(self) -> int:
        with self._lock:
            index = self._task_count
            self._task_count += 1
            self.tasks.append({"task": index, "start": None, "end": None, "ok": None, "output": []})
        return index

    def task_started(self, index: int) -> None:
        t = self.now()
        self.tasks[index]["start"] = t
        self.emit({"type": "task_started", "task": index, "t": t})

    def task_finished(self, index: int, error: str | None = None) -> None:
        t = self.now()
        record = self.tasks[index]
        record.update(end=t, ok=error is None)
        event: Event = {"type": "task_finished", "task": index, "t": t, "ok": error is None}
        if error is not None:
            record["error"] = event["error"] = error
        self.emit(event)

    def output(self, index: int | None, text: str) -> None:
        t = self.now()
        if index is not None:
            self.tasks[index]["output"].append([t, text])
        self.emit({"type": "output", "task": index, "text": text, "t": t})

    def check_cancelled(self) -> None:
        if self.cancel_requested.is_set():
            raise RunCancelled

    # Delivery ---------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if threading.get_ident() == self._loop_thread:
            self._emit(event)
        else:
            self._loop.call_soon_threadsafe(self._emit, event)

    def bind(self) -> None:
        """Make this reporter the current run in this thread or task context."""
        _current_run.set(self)


MAX_LINE = 500


def print(*values: object, sep: str = " ", end: str = "\n") -> None:  # noqa: A001
    """``print`` for demo code: the line goes to the reader's console."""
    reporter = _current_run.get()
    if reporter is None:
        builtins.print(*values, sep=sep, end=end)
        return
    reporter.check_cancelled()
    reporter.output(_current_task.get(), sep.join(str(value) for value in values)[:MAX_LINE])


def task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Report each call of ``fn`` as one task: its start, its end, its error."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        def start_async(*args: Any, **kwargs: Any) -> Any:
            reporter = _current_run.get()
            if reporter is None:
                return fn(*args, **kwargs)
            # The index is taken at call time, so tasks are numbered in the
            # order the demo created them, whatever order they start in. The
            # demo's coroutine is made when the task starts: one cancelled
            # before it starts then leaves no coroutine that was never awaited.
            return _run_async(reporter, reporter.new_task(), fn, args, kwargs)

        return start_async

    @functools.wraps(fn)
    def run_sync(*args: Any, **kwargs: Any) -> Any:
        reporter = _current_run.get()
        if reporter is None:
            return fn(*args, **kwargs)
        reporter.check_cancelled()
        index = reporter.new_task()
        token = _current_task.set(index)
        reporter.task_started(index)
        try:
            result = fn(*args, **kwargs)
        except RunCancelled:
            reporter.task_finished(index, error="cancelled")
            raise
        except Exception as exc:
            reporter.task_finished(index, error=explain(exc))
            raise
        finally:
            _current_task.reset(token)
        reporter.task_finished(index)
        return result

    return run_sync


async def _run_async(
    reporter: RunReporter, index: int, fn: Callable[..., Any], args: tuple, kwargs: dict
) -> Any:
    _current_task.set(index)  # each asyncio task runs in its own context copy
    reporter.task_started(index)
    try:
        result = await fn(*args, **kwargs)
    except asyncio.CancelledError:
        reporter.task_finished(index, error="cancelled")
        raise
    except Exception as exc:
        reporter.task_finished(index, error=explain(exc))
        raise
    reporter.task_finished(index)
    return result
