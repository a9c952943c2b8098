"""The event-loop tracer: what each task and each turn of one run's loop did.

``private_program`` compiles a demo module again into a copy of its own, so
its code objects belong to one run alone; ``Tracer`` watches a run of that
copy on a loop of its making (``new_loop``) and keeps plain records (dicts of
str, int, float, None and lists) of the tasks made, each stretch of running
(a step), each turn of the loop and each callback that held the loop too long.
The record format is described in ``Tracer``'s docstring.

How it sees the run, with public APIs wherever one exists:

- a selector wrapped around the loop's own times every ``select()``: a turn
  runs from one call to the next;
- the loop's ``call_soon``, ``call_soon_threadsafe`` and ``call_at`` wrap each
  callback queued, so every callback is timed and counted; a task queues its
  steps (first step and wakeups) as callbacks bound to the task itself;
- ``set_task_factory`` sees tasks made with ``create_task``, and so their
  parent (``asyncio.current_task()``) and the program's line that made them;
  the task itself is made by the factory ``Tracer`` is given (``task_factory``),
  the site's that reports the program's tasks, or else a plain ``asyncio.Task``;
- ``sys.monitoring`` line events, on the copy's code objects only, find the
  line that held the loop: the longest gap between two lines in a callback.

Three private attributes of asyncio's futures are read, each guarded by a test
in tests/test_tracer.py: ``Task._fut_waiter`` (what a task waits on),
``Future._log_traceback`` (whether a finished task failed, without taking
its exception from the program) and the name of gather's future class.

May import: the standard library only.
"""

import asyncio
import collections
import functools
import heapq
import itertools
import os
import selectors
import sys
import threading
import time
import tokenize
import types
from collections.abc import Callable, Coroutine
from contextvars import Context
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

# The compiled module a private program was made from: every code object of
# the program hangs from it (co_consts), functions or not.
_CODE = "__private_code__"


# A source file's compiled code, by file name, with the file's modification
# time and size when it was read: the template each private copy is cloned from.
_compiled: dict[str, tuple[int, int, types.CodeType]] = {}


def private_program(module: types.ModuleType) -> types.ModuleType:
    """The module compiled again from its own source file into a new module object
    (same __file__, so line numbers are the file's; not put in sys.modules), so
    that its code objects belong to one run alone and monitoring them costs no
    other run anything."""
    filename = module.__file__
    if not filename:
        raise ValueError(f"{module.__name__} has no source file")
    stat = os.stat(filename)
    cached = _compiled.get(filename)
    if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
        with tokenize.open(filename) as source:
            template = compile(source.read(), filename, "exec", dont_inherit=True)
        _compiled[filename] = (stat.st_mtime_ns, stat.st_size, template)
    else:
        template = cached[2]
    # Compiling costs a third of a millisecond; copying the compiled code
    # object by object gives the same fresh code objects for a twentieth.
    code = _fresh(template)
    private = types.ModuleType(module.__name__, module.__doc__)
    private.__file__ = filename
    private.__package__ = module.__package__
    private.__dict__[_CODE] = code
    exec(code, private.__dict__)
    return private


def _fresh(code: types.CodeType) -> types.CodeType:
    """A new code object equal to ``code``, and so are the ones nested in it."""
    consts = tuple(_fresh(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_consts=consts)


def _code_tree(code: types.CodeType) -> list[types.CodeType]:
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.extend(_code_tree(const))
    return found


# ---------------------------------------------------------------------------
# What the loop's own callbacks are

# A task queues its steps as callbacks bound to itself (``__self__`` is the
# task): the C Task's step wrapper and wakeup method, or the pure-Python
# Task's private methods. Anything else bound to a task (``task.cancel``) is
# not a step.
_STEP_NAMES = frozenset({"task_wakeup", "__step", "__wakeup"})
_BOUND = (types.BuiltinMethodType, types.MethodType)


def _is_step(callback: object) -> bool:
    # By type first: looking up an attribute a callback lacks costs an exception.
    kind = type(callback)
    if kind.__name__ == "TaskStepMethWrapper":
        return True
    return (
        kind in _BOUND
        and callback.__name__ in _STEP_NAMES
        and isinstance(callback.__self__, asyncio.Task)
    )


def _callable_name(callback: object) -> str:
    while isinstance(callback, functools.partial):
        callback = callback.func
    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    return name.replace("<locals>.", "")


# What a suspended task waits for, read from the coroutines it awaits through:
# asyncio's own ways to wait go by their qualname ("Event.wait").
_SLEEP = asyncio.sleep.__code__
_WAITS: dict[int, str] = {
    id(fn.__code__): fn.__code__.co_qualname
    for fn in (
        asyncio.Event.wait,
        asyncio.Lock.acquire,
        asyncio.Condition.wait,
        asyncio.Semaphore.acquire,
        asyncio.Barrier.wait,
        asyncio.Queue.get,
        asyncio.Queue.put,
        asyncio.wait,
        asyncio.to_thread,
    )
}
_WAITS[id(asyncio.TaskGroup.__aexit__.__code__)] = "TaskGroup"
_AIOHTTP = f"{os.sep}aiohttp{os.sep}"
_HTTP_RESPONSE_READS = frozenset(
    {"ClientResponse.read", "ClientResponse.text", "ClientResponse.json"}
)


def _sleep_label(delay: object) -> str:
    return f"sleep {delay:g} s" if isinstance(delay, int | float) else "sleep"


def _aiohttp_label(qualname: str) -> str:
    """What an aiohttp coroutine whose request cannot be read is doing."""
    lowered = qualname.lower()
    if "request" in lowered or "response" in lowered:
        return "HTTP request"
    return f"aiohttp {qualname}"


def _http_label(code: types.CodeType, frame: types.FrameType) -> str | None:
    """ "GET paris" for aiohttp's request or its response's body, from their locals."""
    try:
        if code.co_qualname == "ClientSession._request":
            method, url = frame.f_locals["method"], frame.f_locals["str_or_url"]
        elif code.co_qualname in _HTTP_RESPONSE_READS:
            response = frame.f_locals["self"]
            method, url = response.method, response.url
        else:
            return None
        segment = urlsplit(str(url)).path.rstrip("/").rsplit("/", 1)[-1]
    except (KeyError, AttributeError, ValueError):
        return None
    return f"{str(method).upper()} {segment}".strip()


# ---------------------------------------------------------------------------
# sys.monitoring: one tool id for every traced run of the process

_monitoring_lock = threading.Lock()
_tool_id: int | None = None  # -1: none was free
# id(code object) -> the tracer of the run it belongs to. By id: two copies of
# one module have code objects that compare (and hash) equal.
_tracers_by_code: dict[int, "Tracer"] = {}
# Lines after which a run's line events are switched off, so that a program
# spinning in a loop pays for at most this many (about 30 ms).
LINE_BUDGET = 100_000


def _tool() -> int:
    global _tool_id
    with _monitoring_lock:
        if _tool_id is None:
            monitoring = sys.monitoring
            # Not 0 to 2: debuggers, coverage and profilers ask for those.
            free = [i for i in (4, 3, 5) if monitoring.get_tool(i) is None]
            if free:
                _tool_id = free[0]
                monitoring.use_tool_id(_tool_id, "demos.tracer")
                monitoring.register_callback(_tool_id, monitoring.events.LINE, _on_line)
            else:
                _tool_id = -1
        return _tool_id


def _on_line(code: types.CodeType, line: int) -> object:
    tracer = _tracers_by_code.get(id(code))
    if tracer is None:
        return sys.monitoring.DISABLE
    if threading.get_ident() != tracer._thread:
        return None  # the program's code run by another thread does not hold the loop
    now = perf_counter()
    gap = now - tracer._last_t
    if gap > tracer._worst_gap:
        tracer._worst_gap = gap
        tracer._worst_line = tracer._last_line
    tracer._last_t = now
    tracer._last_line = line
    tracer._line_budget -= 1
    if tracer._line_budget <= 0:
        tracer._lines_off()
    return None


# ---------------------------------------------------------------------------
# The loop


class _Queued:
    """A callback given to the loop, wrapped so that the tracer sees it run."""

    __slots__ = ("callback", "done", "handle", "owner", "queued", "task", "tracer", "wakes")

    def __init__(self, tracer: "Tracer", callback: Callable[..., Any]) -> None:
        self.tracer = tracer
        self.callback = callback
        self.queued = perf_counter()
        self.task: int | None = None  # the task number, for a step of a traced task
        self.owner: asyncio.Task[Any] | None = None
        self.handle: asyncio.Handle | None = None
        self.done = False
        self.wakes = ""

    def __call__(self, *args: Any) -> Any:
        return self.tracer._run(self, args)

    def __repr__(self) -> str:  # what the loop's error messages show
        return repr(self.callback)

    # What asyncio's debug mode reads to describe a handle's callback, as
    # "write_report() at program.py:12": the callback's name and its source.
    @property
    def __name__(self) -> str:
        return getattr(self.callback, "__qualname__", None) or repr(self.callback)

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        return self.callback

    def dead(self) -> bool:
        return self.done or (self.handle is not None and self.handle.cancelled())


class _TimedSelector(selectors.BaseSelector):
    """The loop's selector, with each ``select()`` reported to the tracer."""

    def __init__(self, tracer: "Tracer") -> None:
        self._tracer = tracer
        self._selector = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        tracer = self._tracer
        if not tracer._on:
            return self._selector.select(timeout)
        tracer._turn_begins(timeout)
        events = self._selector.select(timeout)
        tracer._selected(events)
        return events

    def close(self) -> None:
        self._selector.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._selector.get_key(fileobj)

    def get_map(self) -> Any:
        return self._selector.get_map()


def _made_by_caller[H: asyncio.Handle](handle: H) -> H:
    """``handle``, its debug-mode record of where it was made without this module's frame.

    In debug mode a handle keeps the stack it was made from, and its repr says
    "created at" the last line of it: the program's, as on a plain loop.
    """
    made_at = handle._source_traceback  # type: ignore[attr-defined]
    if made_at:
        del made_at[-1]
    return handle


class _TracedLoop(asyncio.SelectorEventLoop):
    def __init__(self, tracer: "Tracer") -> None:
        self._tracer = tracer
        super().__init__(_TimedSelector(tracer))

    def call_soon(
        self, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        tracer = self._tracer
        if not tracer._on:
            return _made_by_caller(super().call_soon(callback, *args, context=context))
        queued = tracer._queue(callback)
        queued.handle = _made_by_caller(super().call_soon(queued, *args, context=context))
        return queued.handle

    def call_soon_threadsafe(
        self, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        # From another thread: _queue only reads the tracer's tables and
        # appends to a deque, and it numbers no task here.
        tracer = self._tracer
        if not tracer._on:
            return _made_by_caller(super().call_soon_threadsafe(callback, *args, context=context))
        queued = tracer._queue(callback, adopt=False)
        queued.handle = _made_by_caller(
            super().call_soon_threadsafe(queued, *args, context=context)
        )
        return queued.handle

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.TimerHandle:
        # call_later comes here too.
        tracer = self._tracer
        if not tracer._on:
            return _made_by_caller(super().call_at(when, callback, *args, context=context))
        queued = tracer._timer(when, callback, sys._getframe(1))
        queued.handle = _made_by_caller(super().call_at(when, queued, *args, context=context))
        return queued.handle

    def run_forever(self) -> None:
        try:
            super().run_forever()
        finally:
            self._tracer._loop_stopped()


# ---------------------------------------------------------------------------
# The tracer


def _micro(seconds: float) -> float:
    # round(x, 6) goes through decimal digits and costs several times more;
    # the nearest float to a whole number of microseconds prints as few digits.
    return round(seconds * 1e6) / 1e6


_UNSEEN = object()
LISTED = 20  # ready callbacks and timers listed per turn


class Tracer:
    """Records one run of a private program on the loop ``new_loop`` makes.

    Records (times in seconds since ``begin``'s origin, rounded to 6 decimals),
    appended when complete, so not sorted by ``t``:

    - ``task_created``: t, task (0, 1, 2 in creation order), name, parent, line, lane
    - ``step``: t (== start), task, ready (when its step was queued), start,
      end, line (where it stopped), awaits ("sleep 0.25 s", "task 2",
      "gather", "Event.wait", "GET paris", "future" ... or null), state
      ("waiting", "done", "failed", "cancelled")
    - ``turn``: t (== start), start, end (the next select), select_wait,
      timeout, woke_by ("ready", "timer", "io"), callbacks, ready (labels of
      the callbacks queued as it began), timers ([{due, wakes}], soonest first)
    - ``blocked``: t (== start), start, end, line, task (or null): a callback
      that held the loop longer than ``blocked_after``
    - ``truncated``: t, limit; once, last, when the run made more than
      ``max_records`` records.

    Only the run's tasks are numbered: the first task made after ``begin``
    (the one running main), tasks made by a traced task, and tasks made while
    the program's code was on the stack. Recording ends when all of them are
    done and the loop stops, so the loop's own shutdown is not recorded.
    """

    def __init__(
        self,
        program: types.ModuleType,
        *,
        max_records: int = 5000,
        line_of: Callable[[int], int | None] = lambda line: line,
        identify: Callable[[Coroutine[Any, Any, Any]], tuple[str, int | None]] | None = None,
        blocked_after: float = 0.020,
        task_factory: Callable[..., asyncio.Task[Any]] | None = None,
    ) -> None:
        code = program.__dict__.get(_CODE)
        if not isinstance(code, types.CodeType):
            raise ValueError("Tracer watches a copy made by private_program(module) only")
        self.records: list[dict[str, Any]] = []
        self.truncated = False
        self._codes: list[types.CodeType] = _code_tree(code)
        self._code_ids = frozenset(id(c) for c in self._codes)
        self._max_records = max_records
        self._line_of: Callable[[int], int | None] | None = line_of
        self._identify = identify
        # What makes the loop's tasks, inside the tracer's own factory.
        self._task_factory = task_factory
        self._blocked_after = blocked_after
        self._loop: _TracedLoop | None = None
        self._origin = 0.0
        self._shift = 0.0  # perf_counter() - loop.time()
        self._thread = threading.get_ident()
        self._on = False
        self._closed = False
        self._drained = 0
        self._drain_lock = threading.Lock()
        # Tasks: number, or None for a task seen but not the run's.
        self._tasks: dict[asyncio.Task[Any], int | None] = {}
        self._task_count = 0
        self._live = 0
        self._running: int | None = None
        # Callbacks queued and not run yet, in queue order; timers as a heap.
        self._pending: collections.deque[_Queued] = collections.deque()
        self._timers: list[tuple[float, int, _Queued]] = []
        self._timer_count = 0
        self._timers_kept = 64
        # The turn under way: start, timeout, ready labels, timers, select end,
        # I/O callbacks; callbacks run so far; end of select while I/O
        # callbacks may still be running.
        self._turn: list[Any] | None = None
        self._turn_callbacks = 0
        self._io_since: float | None = None
        # Line events: the last line seen and when; the longest gap so far in
        # the callback running and the line before it.
        self._last_t = 0.0
        self._last_line: int | None = None
        self._worst_gap = 0.0
        self._worst_line: int | None = None
        self._line_budget = LINE_BUDGET
        self._lines = False

    # Public API -----------------------------------------------------------------

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """A loop for ``asyncio.Runner(loop_factory=...)`` that this tracer watches."""
        if self._closed or self._loop is not None:
            raise RuntimeError("a Tracer watches one loop, once")
        loop = _TracedLoop(self)
        loop.set_task_factory(self._make_task)
        self._loop = loop
        return loop

    def begin(self, origin: float) -> None:
        """Start recording; ``origin`` is the run's ``time.perf_counter()`` at its start."""
        if self._closed:
            raise RuntimeError("this Tracer is closed")
        self._origin = origin
        clock = self._loop.time if self._loop is not None else time.monotonic
        self._shift = perf_counter() - clock()
        self._thread = threading.get_ident()
        self._lines_on()
        self._on = True

    def drain(self) -> list[dict[str, Any]]:
        """The records made since the last drain; from any thread."""
        with self._drain_lock:
            end = len(self.records)
            batch = self.records[self._drained : end]
            self._drained = end
        return batch

    def close(self) -> None:
        """Stop; turn off every line event set; let go of the program's objects."""
        if self._closed:
            return
        self._closed = True
        self._on = False
        self._lines_off()
        self._codes = []
        self._code_ids = frozenset()
        self._tasks.clear()
        self._pending.clear()
        self._timers.clear()
        self._turn = None
        self._loop = None
        self._line_of = None
        self._identify = None
        self._task_factory = None

    # Records ----------------------------------------------------------------------

    def _t(self, moment: float) -> float:
        return _micro(moment - self._origin)

    def _shown(self, line: int | None) -> int | None:
        if line is None or self._line_of is None:
            return None
        return self._line_of(line)

    def _emit(self, record: dict[str, Any]) -> None:
        if len(self.records) < self._max_records:
            self.records.append(record)
            return
        self.records.append(
            {"kind": "truncated", "t": self._t(perf_counter()), "limit": self._max_records}
        )
        self.truncated = True
        self._stop()

    def _stop(self) -> None:
        self._on = False
        self._lines_off()

    # Line events ------------------------------------------------------------------

    def _lines_on(self) -> None:
        tool = _tool()
        if tool < 0 or self._lines:
            return
        line = sys.monitoring.events.LINE
        with _monitoring_lock:
            for code in self._codes:
                _tracers_by_code[id(code)] = self
                sys.monitoring.set_local_events(tool, code, line)
        self._lines = True

    def _lines_off(self) -> None:
        if not self._lines:
            return
        self._lines = False
        tool = _tool()
        with _monitoring_lock:
            for code in self._codes:
                sys.monitoring.set_local_events(tool, code, 0)
                if _tracers_by_code.get(id(code)) is self:
                    del _tracers_by_code[id(code)]

    def _line_gaps_from(self, moment: float) -> None:
        self._last_t = moment
        self._last_line = None
        self._worst_gap = 0.0
        self._worst_line = None

    def _line_that_held(self, end: float) -> int | None:
        """The line before the longest gap since ``_line_gaps_from``, if that gap held the loop."""
        gap, line = self._worst_gap, self._worst_line
        if end - self._last_t > gap:
            gap, line = end - self._last_t, self._last_line
        return self._shown(line) if gap > self._blocked_after else None

    # Tasks --------------------------------------------------------------------------

    def _make_task(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        inner = self._task_factory
        task = (
            asyncio.Task(coro, loop=loop, **kwargs)
            if inner is None
            else inner(loop, coro, **kwargs)
        )
        # Its first step was queued, and the task adopted, as it was made;
        # not so for an eager task (its first step ran at once, unrecorded).
        if self._on and task not in self._tasks and self._adopt(task) is not None and task.done():
            del self._tasks[task]
            self._live -= 1
        return task

    def _adopt(self, task: asyncio.Task[Any], at: float | None = None) -> int | None:
        """Number a new task if it is the run's, and record it (made ``at``, or now)."""
        current = asyncio.current_task(self._loop)
        parent = self._tasks.get(current) if current is not None else None
        line = None
        frame: types.FrameType | None = sys._getframe(2)
        while frame is not None:
            if id(frame.f_code) in self._code_ids:
                line = frame.f_lineno  # the innermost line of the program making it
                break
            frame = frame.f_back
        if self._task_count and parent is None and line is None:
            self._tasks[task] = None  # the loop's own, as when the runner shuts down
            return None
        number = self._task_count
        self._task_count += 1
        self._tasks[task] = number
        self._live += 1
        coro = task.get_coro()
        if self._identify is not None:
            name, lane = self._identify(coro)
        else:
            name, lane = getattr(coro, "__qualname__", type(coro).__name__), None
        self._emit(
            {
                "kind": "task_created",
                "t": self._t(perf_counter() if at is None else at),
                "task": number,
                "name": str(name),
                "parent": parent,
                "line": self._shown(line),
                "lane": lane,
            }
        )
        return number

    def _task_number(self, task: object) -> int | None:
        return self._tasks.get(task) if isinstance(task, asyncio.Future) else None

    # Callbacks ------------------------------------------------------------------------

    def _queue(self, callback: Callable[..., Any], adopt: bool = True) -> _Queued:
        queued = _Queued(self, callback)
        if _is_step(callback):
            task = callback.__self__
            number = self._tasks.get(task, _UNSEEN)
            if number is _UNSEEN:
                # A task queues its first step as it is made, before the factory
                # has it back: the stack is its maker's.
                number = self._adopt(task, queued.queued) if adopt else None
            if number is not None:
                queued.task = number
                queued.owner = task
        self._pending.append(queued)
        return queued

    def _timer(self, when: float, callback: Callable[..., Any], caller: types.FrameType) -> _Queued:
        queued = _Queued(self, callback)
        what = None
        frame: types.FrameType | None = caller
        for _ in range(2):  # call_later, then what called it
            if frame is None:
                break
            if frame.f_code is _SLEEP:
                what = _sleep_label(frame.f_locals.get("delay"))
                break
            frame = frame.f_back
        if what is None:
            # A plain callback wakes no task, whoever set it: name it alone.
            queued.wakes = self._callback_label(callback)
        else:
            # A sleep's timer wakes the task that sleeps, the one running now.
            queued.wakes = what if self._running is None else f"task {self._running} ({what})"
        self._timer_count += 1
        heapq.heappush(self._timers, (when, self._timer_count, queued))
        return queued

    def _callback_label(self, callback: object) -> str:
        owner = getattr(callback, "__self__", None)
        number = self._task_number(owner)
        if number is not None:
            if _is_step(callback):
                return f"task {number} step"
            return f"task {number} {getattr(callback, '__name__', 'callback')}"
        if _is_step(callback):
            return "task step"  # a task that is not the run's
        return _callable_name(callback)

    def _run(self, queued: _Queued, args: tuple[Any, ...]) -> Any:
        if not self._on:
            return queued.callback(*args)
        queued.done = True
        start = perf_counter()
        if self._io_since is not None:
            self._io_done(start)
        self._running = queued.task
        self._line_gaps_from(start)
        try:
            return queued.callback(*args)
        finally:
            end = perf_counter()
            self._running = None
            if self._on:
                self._ran(queued, start, end)

    def _ran(self, queued: _Queued, start: float, end: float) -> None:
        self._turn_callbacks += 1
        held = end - start > self._blocked_after
        line = self._line_that_held(end) if held else None
        if queued.owner is not None:
            self._step_ran(queued, start, end)
            queued.owner = None
        if held:
            self._blocked(start, end, line, queued.task)

    def _blocked(self, start: float, end: float, line: int | None, task: int | None) -> None:
        start_t = self._t(start)
        self._emit(
            {
                "kind": "blocked",
                "t": start_t,
                "start": start_t,
                "end": self._t(end),
                "line": line,
                "task": task,
            }
        )

    def _step_ran(self, queued: _Queued, start: float, end: float) -> None:
        task = queued.owner
        assert task is not None
        awaits = line = None
        if not task.done():
            state = "waiting"
            awaits, line = self._waits_for(task)
        elif task.cancelled():
            state = "cancelled"
        # Not task.exception(): that would take the exception from the program
        # (asyncio would no longer say it was never retrieved).
        elif task._log_traceback:
            state = "failed"
        else:
            state = "done"
        start_t = self._t(start)
        self._emit(
            {
                "kind": "step",
                "t": start_t,
                "task": queued.task,
                "ready": self._t(queued.queued),
                "start": start_t,
                "end": self._t(end),
                "line": self._shown(line),
                "awaits": awaits,
                "state": state,
            }
        )
        if state != "waiting":
            del self._tasks[task]
            self._live -= 1

    def _waits_for(self, task: asyncio.Task[Any]) -> tuple[str | None, int | None]:
        """What a suspended task waits for, and the program's line it stopped at."""
        label = http = None
        line = None
        awaitable: Any = task.get_coro()
        for _ in range(100):
            kind = type(awaitable)
            if kind is types.CoroutineType:
                code, frame, inner = awaitable.cr_code, awaitable.cr_frame, awaitable.cr_await
            elif kind is types.GeneratorType:  # a generator-based coroutine
                code, frame, inner = awaitable.gi_code, awaitable.gi_frame, awaitable.gi_yieldfrom
            else:
                break  # a future's iterator, or something else awaitable
            if frame is None:
                break
            if id(code) in self._code_ids:
                line = frame.f_lineno  # the innermost of the program's frames wins
            if label is None:
                # The outermost coroutine that says what it is waiting for wins:
                # Condition.wait, not the Lock.acquire inside it.
                if code is _SLEEP and http is None:
                    label = _sleep_label(frame.f_locals.get("delay"))
                elif http is None and id(code) in _WAITS:
                    label = _WAITS[id(code)]
                elif _AIOHTTP in code.co_filename:
                    label = _http_label(code, frame)
                    http = http or _aiohttp_label(code.co_qualname)
            awaitable = inner
            if awaitable is None:
                break
        if label is None:
            label = http or self._future_label(task._fut_waiter)
        return label, line

    def _future_label(self, future: object) -> str | None:
        if future is None:
            return None
        if isinstance(future, asyncio.Task):
            number = self._task_number(future)
            return "task" if number is None else f"task {number}"
        if type(future).__name__ == "_GatheringFuture":
            return "gather"
        return "future"

    # Turns --------------------------------------------------------------------------------

    def _turn_begins(self, timeout: float | None) -> None:
        now = perf_counter()
        self._end_turn(now)
        pending = self._pending
        while pending and pending[0].dead():
            pending.popleft()
        ready = []
        # A copy made in one C call: other threads may append meanwhile
        # (call_soon_threadsafe), which iterating the deque itself would not allow.
        for queued in list(itertools.islice(pending, 2 * LISTED)):
            if not queued.dead():
                ready.append(self._label(queued))
                if len(ready) == LISTED:
                    break
        self._turn = [now, timeout, ready, self._timers_listed(), now, 0]
        self._turn_callbacks = 0

    def _label(self, queued: _Queued) -> str:
        if queued.task is not None:
            return f"task {queued.task} step"
        return self._callback_label(queued.callback)

    def _timers_listed(self) -> list[dict[str, Any]]:
        heap = self._timers
        while heap and heap[0][2].dead():
            heapq.heappop(heap)
        if len(heap) > self._timers_kept:
            # Timers cancelled early (a timeout that was not needed) stay in the
            # heap until their time: drop them whenever it has doubled.
            heap[:] = [entry for entry in heap if not entry[2].dead()]
            heapq.heapify(heap)
            self._timers_kept = max(64, 2 * len(heap))
        # The soonest live timers, visiting the heap from its top: a few
        # entries per turn, however many tasks are sleeping.
        listed: list[dict[str, Any]] = []
        frontier = [(heap[0], 0)] if heap else []
        while frontier and len(listed) < LISTED:
            (when, _, queued), index = heapq.heappop(frontier)
            if not queued.dead():
                listed.append({"due": self._t(when + self._shift), "wakes": queued.wakes})
            for child in (2 * index + 1, 2 * index + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))
        return listed

    def _selected(self, events: list[tuple[selectors.SelectorKey, int]]) -> None:
        turn = self._turn
        if turn is None:
            return
        now = perf_counter()
        turn[4] = now
        # One callback per event bit, as the loop runs them (reader, writer).
        turn[5] = sum((mask & 1) + (mask >> 1 & 1) for _, mask in events)
        if turn[5]:
            self._io_since = now
            self._line_gaps_from(now)

    def _io_done(self, now: float) -> None:
        # The I/O callbacks run between select and the first callback we wrap.
        since, self._io_since = self._io_since, None
        if since is not None and now - since > self._blocked_after:
            self._blocked(since, now, self._line_that_held(now), None)

    def _end_turn(self, now: float) -> None:
        turn = self._turn
        if turn is None:
            return
        self._turn = None
        if self._io_since is not None:
            self._io_done(now)
        start, timeout, ready, timers, selected, io = turn
        if ready:
            woke_by = "ready"
        elif io:
            woke_by = "io"
        elif timeout == 0 and not (timers and timers[0]["due"] <= self._t(start)):
            woke_by = "ready"  # the loop was stopping
        else:
            woke_by = "timer"
        start_t = self._t(start)
        self._emit(
            {
                "kind": "turn",
                "t": start_t,
                "start": start_t,
                "end": self._t(now),
                "select_wait": _micro(selected - start),
                "timeout": None if timeout is None else _micro(timeout),
                "woke_by": woke_by,
                "callbacks": self._turn_callbacks + io,
                "ready": ready,
                "timers": timers,
            }
        )

    def _loop_stopped(self) -> None:
        if not self._on:
            return
        self._end_turn(perf_counter())
        if self._task_count and not self._live:
            # Every task of the run is done: what follows is the runner's shutdown.
            self._stop()
