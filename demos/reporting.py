"""How a demo's program reports its tasks and prints to the reader, from outside.

A program is an ordinary file (``demos.programs``) that calls the built-in
``print`` and knows nothing of the site. The site instruments it: the loaded
module gets a global ``print`` (this module's) that shadows the built-in;
the loop a run uses gets a task factory (``TaskFactory``) that reports each
task the program makes; a sync program's calls from ``main`` to its own
functions are reported as tasks by ``sys.monitoring`` (``watch_sync_program``).
Outside a run all of it behaves as plain Python.

Events may be produced on the event loop (async variants) or on a worker
thread (sync variants); ``RunReporter`` timestamps them where they happen and
hands them to the loop thread-safely.
"""

import asyncio
import builtins
import logging
import sys
import threading
import time
import types
from collections.abc import Callable, Coroutine, Iterable
from contextvars import ContextVar, Token
from typing import Any

from demos.errors import explain

logger = logging.getLogger(__name__)

_current_run: ContextVar["RunReporter | None"] = ContextVar("current_run", default=None)
# Which task a print belongs to: a sync run keeps its task on its reporter (one
# thread each); an async task is found by its asyncio task, as a context
# variable each would cost objects (docs/performance.md).
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

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        emit: Callable[[Event], None],
        *,
        program: dict[str, Any] | None = None,
        sync_main: types.CodeType | None = None,
    ) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._emit = emit
        self._started_at: float | None = None
        self._task_count = 0
        self.tasks: list[dict[str, Any]] = []
        # Set once, read from any thread; nothing ever waits for it, so a plain
        # attribute, not a threading.Event.
        self.cancel_requested = False
        # The globals of the program whose coroutines become tasks (None: any
        # coroutine made while the run is bound); a sync program's main, whose
        # calls to the program's functions are its tasks, and the task under way.
        self.program = program
        self.sync_main = sync_main
        self.sync_task: int | None = None
        self._sync_frame: types.FrameType | None = None
        # The program's coroutines whose task has not begun, by task index.
        self._unstarted: dict[int, Coroutine[Any, Any, Any]] = {}

    # Time -----------------------------------------------------------------
    def start(self) -> float:
        """Start the run's clock; the moment it starts, on ``time.perf_counter``."""
        self._started_at = time.perf_counter()
        return self._started_at

    @property
    def started(self) -> bool:
        return self._started_at is not None

    @property
    def started_at(self) -> float | None:
        """The run's start on ``time.perf_counter``, once it has started."""
        return self._started_at

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

    def close_unstarted(self) -> None:
        """Close the coroutines of tasks that never began, as the run ends.

        A task cancelled before its first step never runs its coroutine
        (``_run_async`` is thrown into before its first line), and Python
        would warn that the program's coroutine was never awaited; a task
        still waiting for its first step when the run ends will not run it.
        """
        unstarted, self._unstarted = self._unstarted, {}
        for coro in unstarted.values():
            coro.close()

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


def print(  # noqa: A001
    *values: object,
    sep: str | None = " ",
    end: str | None = "\n",
    file: Any = None,
    flush: bool = False,
) -> None:
    """``print`` for a program's module: the line goes to the reader's console.

    It takes what the built-in takes, so a program written for the built-in
    runs unchanged; a line written to another file than standard output
    (``file=sys.stderr``) is not the console's and goes there as usual.
    """
    reporter = _current_run.get()
    if reporter is None or (file is not None and file is not sys.stdout):
        builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
        return
    if sep is None:
        sep = " "
    reporter.check_cancelled()
    index = reporter.sync_task
    if index is None:
        index = _async_index()
    reporter.output(index, sep.join(str(value) for value in values)[:MAX_LINE])


def _async_index() -> int | None:
    try:
        current = asyncio.current_task()
    except RuntimeError:  # no loop in this thread: a sync program outside its tasks
        return None
    return _async_task_index.get(current) if current is not None else None


# Async tasks ------------------------------------------------------------------


class TaskFactory:
    """A loop's task factory: each task a bound run's program makes is one of its tasks.

    A coroutine of the run's program (``RunReporter.program``) made into a task
    while the run is bound in the current context is wrapped (``_run_async``)
    so that its start, end and error are reported, and numbered in the order
    the tasks were created. Any other task is made as usual, by ``inner`` (the
    factory the loop had before) or as a plain ``asyncio.Task``. The coroutine
    ``main`` runs in is no task of the program's: it was made before.
    """

    __slots__ = ("inner",)

    def __init__(self, inner: Callable[..., asyncio.Task[Any]] | None = None) -> None:
        self.inner = inner

    def __call__(
        self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Task[Any]:
        reporter = _current_run.get()
        if reporter is not None:
            program = reporter.program
            frame = getattr(coro, "cr_frame", None)
            if program is None or (frame is not None and frame.f_globals is program):
                # The coroutine waits on the reporter, not in the wrapper's
                # arguments: if the task never begins, the run's end closes it.
                index = reporter.new_task()
                reporter._unstarted[index] = coro
                coro = _run_async(reporter, index)
        if self.inner is None:
            return asyncio.Task(coro, loop=loop, **kwargs)
        return self.inner(loop, coro, **kwargs)


def install_task_factory(loop: asyncio.AbstractEventLoop) -> None:
    """Give ``loop`` a ``TaskFactory``, once, keeping the factory it had inside it."""
    current = loop.get_task_factory()
    if not isinstance(current, TaskFactory):
        loop.set_task_factory(TaskFactory(current))


def new_loop() -> asyncio.AbstractEventLoop:
    """A new event loop whose programs' tasks are reported (``asyncio.run(loop_factory=)``)."""
    loop = asyncio.new_event_loop()
    loop.set_task_factory(TaskFactory())
    return quiet_about_cancelled_runs(loop)


def quiet_about_cancelled_runs[L: asyncio.AbstractEventLoop](loop: L) -> L:
    """``loop``, told not to log what only a reader's cancel caused.

    Once a run is cancelled, ``print`` raises RunCancelled in whatever calls it,
    a callback the loop runs included (a stream handler's last line, say); the
    loop would log that as an unhandled error of the server's. Anything else
    is logged as before, and a program may still set a handler of its own.
    """

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not isinstance(context.get("exception"), RunCancelled):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
    return loop


async def _run_async(reporter: RunReporter, index: int) -> Any:
    coro = reporter._unstarted.pop(index, None)
    if coro is None:
        return None  # the run ended before this task began
    current = asyncio.current_task()
    assert current is not None, "a coroutine runs in a task"
    _async_task_index[current] = index
    try:
        reporter.task_started(index)
        result = await coro
    except asyncio.CancelledError:
        reporter.task_finished(index, error="cancelled")
        raise
    except Exception as exc:
        reporter.task_finished(index, error=explain(exc))
        raise
    finally:
        del _async_task_index[current]
        # A task that ends in an exception keeps it, and its traceback keeps
        # this frame: holding the task here too would be a cycle, and through
        # the reporter it would keep the whole connection from being freed.
        current = None
    reporter.task_finished(index)
    return result


def task_identity(coro: object) -> tuple[str, int | None]:
    """A task's name and timeline lane, from the coroutine it was made with.

    A reported task's coroutine is ``_run_async``, not yet started when its
    task is made: its arguments say which lane the reporter gave it, and the
    reporter holds the program's coroutine it will run until it begins. Any
    other coroutine has a name and no lane.
    """
    if getattr(coro, "cr_code", None) is _run_async.__code__:
        arguments = coro.cr_frame.f_locals  # type: ignore[attr-defined]
        index = arguments["index"]
        inner = arguments["reporter"]._unstarted.get(index)
        return getattr(inner, "__qualname__", "task"), index
    return getattr(coro, "__qualname__", type(coro).__name__), None


# Sync tasks -------------------------------------------------------------------
#
# Each call a sync program's ``main`` makes to another function of the program
# is a task. They are found with ``sys.monitoring``, not ``sys.setprofile``:
# PY_START and PY_RETURN are switched on for the program's own code objects
# only, so no other code of the process (the server's loop thread first) runs
# instrumented, and nothing is called back for the thousands of calls inside
# requests. A thread's profiler would be called for each of those, and on
# Python 3.12 turns instrumentation on for every code object of the process
# while any thread profiles; its "return" event cannot tell an exception from
# a plain return either. PY_UNWIND (a task that raised) can only be set for the
# whole process: its callback leaves at once for code that is not a program's,
# and it costs nothing until an exception leaves a frame. The code objects are
# shared by every run of the program, so each callback asks its thread's bound
# run (``_current_run``) whether the call is one of that run's tasks.

_monitoring_lock = threading.Lock()
_sync_tool: int | None = None  # -1: none was free
# Every watched code object, by id: kept here, so that no other code object
# ever takes the id of one watched (two copies of a program's code compare equal).
_watched: dict[int, types.CodeType] = {}


def watch_sync_program(module: types.ModuleType) -> None:
    """Report the calls ``module``'s ``main`` makes to the module's functions as tasks."""
    watch_sync_code(
        value.__code__
        for value in list(vars(module).values())
        if isinstance(value, types.FunctionType) and value.__globals__ is vars(module)
    )


def watch_sync_code(codes: Iterable[types.CodeType]) -> None:
    """Report the calls a run's ``sync_main`` makes to any of ``codes`` as tasks."""
    tool = _sync_tool_id()
    if tool < 0:
        return
    events = sys.monitoring.events
    with _monitoring_lock:
        for code in codes:
            if id(code) not in _watched:
                _watched[id(code)] = code
                sys.monitoring.set_local_events(tool, code, events.PY_START | events.PY_RETURN)


def _sync_tool_id() -> int:
    global _sync_tool
    with _monitoring_lock:
        if _sync_tool is None:
            monitoring = sys.monitoring
            # Not 0 to 2: debuggers, coverage and profilers ask for those.
            free = [i for i in (5, 3, 4) if monitoring.get_tool(i) is None]
            if not free:
                logger.error("no sys.monitoring tool id is free: sync tasks go unreported")
                _sync_tool = -1
                return _sync_tool
            tool = _sync_tool = free[0]
            events = monitoring.events
            monitoring.use_tool_id(tool, "demos.reporting")
            monitoring.register_callback(tool, events.PY_START, _on_sync_start)
            monitoring.register_callback(tool, events.PY_RETURN, _on_sync_return)
            monitoring.register_callback(tool, events.PY_UNWIND, _on_sync_unwind)
            monitoring.set_events(tool, events.PY_UNWIND)
        return _sync_tool


def _on_sync_start(code: types.CodeType, offset: int) -> None:
    reporter = _current_run.get()
    if reporter is None or reporter.sync_main is None or reporter._sync_frame is not None:
        return
    frame = sys._getframe(1)  # the function starting
    caller = frame.f_back
    if caller is None or caller.f_code is not reporter.sync_main:
        return
    # A cancelled run stops here, before its next task begins: a BaseException,
    # which the program's own ``except Exception`` lets through.
    reporter.check_cancelled()
    index = reporter.new_task()
    reporter.sync_task = index
    reporter._sync_frame = frame
    reporter.task_started(index)


def _on_sync_return(code: types.CodeType, offset: int, value: object) -> None:
    reporter = _current_run.get()
    if reporter is not None and reporter._sync_frame is sys._getframe(1):
        _sync_task_ended(reporter, None)


def _on_sync_unwind(code: types.CodeType, offset: int, exc: BaseException) -> None:
    if id(code) not in _watched:
        return
    reporter = _current_run.get()
    if reporter is not None and reporter._sync_frame is sys._getframe(1):
        _sync_task_ended(reporter, "cancelled" if isinstance(exc, RunCancelled) else explain(exc))


def _sync_task_ended(reporter: RunReporter, error: str | None) -> None:
    index = reporter.sync_task
    reporter.sync_task = None
    reporter._sync_frame = None
    if index is not None:
        reporter.task_finished(index, error=error)
