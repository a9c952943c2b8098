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
from contextvars import ContextVar, Token
from typing import Any

from demos.errors import explain

_current_run: ContextVar["RunReporter | None"] = ContextVar("current_run", default=None)
# Which task a print belongs to: a sync task sets it in its thread; an async
# one is found by its asyncio task, a context variable each would cost objects
# (docs/performance.md). Tasks an async task starts itself print as the program.
_current_task: ContextVar[int | None] = ContextVar("current_task", default=None)
_async_task_index: dict[asyncio.Task[Any], int] = {}

Event = dict[str, Any]


class RunCancelled(BaseException):
    """Raised in a sync run between steps once the reader has cancelled it.

    A BaseException, like asyncio.CancelledError, so that a demo's own
    ``except Exception`` cannot swallow it.
    """


# Numbering a run's tasks: one lock for every run, held for a few instructions,
# rather than one more object each run holds.
_numbering = threading.Lock()


class RunReporter:
    """Collects one run's events, with times measured from its start."""

    def __init__(self, loop: asyncio.AbstractEventLoop, emit: Callable[[Event], None]) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._emit = emit
        self._started_at: float | None = None
        self._task_count = 0
        self.tasks: list[dict[str, Any]] = []
        # Set once, read from any thread; nothing ever waits for it, so a plain
        # attribute, not a threading.Event.
        self.cancel_requested = False

    # Time -----------------------------------------------------------------
    def start(self) -> float:
        """Start the run's clock; the moment it starts, on ``time.perf_counter``."""
        self._started_at = time.perf_counter()
        return self._started_at

    @property
    def started(self) -> bool:
        return self._started_at is not None

    def now(self) -> float:
        if self._started_at is None:
            raise RuntimeError("the run has not started")
        return round(time.perf_counter() - self._started_at, 4)

    # Tasks ------------------------------------------------------------------
    def new_task(self) -> int:
        with _numbering:
            index = self._task_count
            self._task_count += 1
            # No output yet is an empty tuple (a list is made at the first line):
            # one object fewer per task for the whole of its run.
            self.tasks.append({"task": index, "start": None, "end": None, "ok": None, "output": ()})
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
            record = self.tasks[index]
            if not record["output"]:
                record["output"] = []
            record["output"].append([t, text])
        self.emit({"type": "output", "task": index, "text": text, "t": t})

    def check_cancelled(self) -> None:
        if self.cancel_requested:
            raise RunCancelled

    # Delivery ---------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if threading.get_ident() == self._loop_thread:
            self._emit(event)
        else:
            self._loop.call_soon_threadsafe(self._emit, event)

    def bind(self) -> Token["RunReporter | None"]:
        """Make this reporter the current run in this thread or task context."""
        return _current_run.set(self)

    @staticmethod
    def unbind(token: Token["RunReporter | None"]) -> None:
        """Give the context back the run it had before ``bind``."""
        _current_run.reset(token)


MAX_LINE = 500


def print(*values: object, sep: str = " ", end: str = "\n") -> None:  # noqa: A001
    """``print`` for demo code: the line goes to the reader's console."""
    reporter = _current_run.get()
    if reporter is None:
        builtins.print(*values, sep=sep, end=end)
        return
    reporter.check_cancelled()
    reporter.output(_task_index(), sep.join(str(value) for value in values)[:MAX_LINE])


def _task_index() -> int | None:
    index = _current_task.get()
    if index is not None:
        return index
    try:
        current = asyncio.current_task()
    except RuntimeError:  # no loop in this thread: a sync program outside its tasks
        return None
    return _async_task_index.get(current) if current is not None else None


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
    current = asyncio.current_task()
    assert current is not None, "a coroutine runs in a task"
    # A task awaited directly by another runs in its task: the outer one's
    # index comes back when it returns.
    outer = _async_task_index.get(current)
    _async_task_index[current] = index
    try:
        reporter.task_started(index)
        result = await fn(*args, **kwargs)
    except asyncio.CancelledError:
        reporter.task_finished(index, error="cancelled")
        raise
    except Exception as exc:
        reporter.task_finished(index, error=explain(exc))
        raise
    finally:
        if outer is None:
            del _async_task_index[current]
        else:
            _async_task_index[current] = outer
        # A task that ends in an exception keeps it, and its traceback keeps
        # this frame: holding the task here too would be a cycle, and through
        # the reporter it would keep the whole connection from being freed.
        current = None
    reporter.task_finished(index)
    return result


def task_identity(coro: object) -> tuple[str, int | None]:
    """A task's name and timeline lane, from the coroutine it was made with.

    A ``@task`` call's coroutine is ``_run_async``, not yet started when its
    task is made: its arguments say which function it runs and which lane
    the reporter gave it. Any other coroutine has a name and no lane.
    """
    if getattr(coro, "cr_code", None) is _run_async.__code__:
        arguments = coro.cr_frame.f_locals  # type: ignore[attr-defined]
        return arguments["fn"].__qualname__, arguments["index"]
    return getattr(coro, "__qualname__", type(coro).__name__), None
