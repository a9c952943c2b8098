"""Event-loop traces made by hand, in the record format the server's tracer sends.

The page is tested with these where exact turns matter: a real trace differs
from run to run. They come from a small model of asyncio's loop rather than
from typed-in numbers, so that everything in them agrees the way a real
trace does: a task is in the ready queue of the turn before its step runs, a
timer is listed until it fires, a wait ends when the next step becomes
ready. The model follows ``BaseEventLoop._run_once``: each turn waits in
select (no wait when callbacks are queued, else until the next timer,
rounded up to the millisecond as epoll does), moves the timers that are due
to the ready queue, then runs the callbacks queued so far; a task's step
runs until its next ``await``, and what it awaited calls it back.

Records are made in the order the tracer makes them: a step when it ends, a
turn when the next begins; times in seconds since the run started, rounded
to 6 decimals. ``line`` is the line of the listing the reader is shown,
found by its text, so the traces follow the listings as they change.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

# What running costs on the server, in seconds: small and plausible.
STEP_COST = 0.00004
CALLBACK_COST = 0.000006
PRINT_COST = 0.00003
CREATE_COST = 0.00001
SELECT_OVERSHOOT = 0.00006
BLOCKED_AFTER = 0.020


def line_of(source: str, text: str) -> int:
    """The 1-based line of ``source`` that holds ``text`` (its first)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in the listing:\n{source}")


# What a coroutine does between two awaits, and what it awaits ----------------


@dataclass(frozen=True)
class Sleep:
    seconds: float
    line: int


@dataclass(frozen=True)
class Block:
    """A blocking call (time.sleep) inside a step: the loop cannot run anything else."""

    seconds: float
    line: int


@dataclass(frozen=True)
class Print:
    pass


@dataclass(frozen=True)
class Child:
    name: str
    lane: int | None
    body: Coroutine


@dataclass(frozen=True)
class CreateTask:
    child: Child
    line: int


@dataclass(frozen=True)
class Gather:
    children: list[Child]
    line: int


@dataclass(frozen=True)
class AwaitTask:
    task: Task
    line: int


Coroutine = Generator[Any, Any, None]


@dataclass(eq=False)
class Task:
    id: int
    name: str
    body: Coroutine
    ready_at: float = 0.0
    done: bool = False
    # What its end schedules: each callable queues a callback, as a done callback does.
    on_done: list[Callable[[], None]] = field(default_factory=list)


class Loop:
    def __init__(self) -> None:
        self.now = 0.0
        self.records: list[dict[str, Any]] = []
        self.ready: deque[tuple[str, Callable[[], None]]] = deque()
        self.timers: list[tuple[float, int, str, Callable[[], None]]] = []
        self.tasks: list[Task] = []
        self.stopping = False
        self.serial = 0  # orders timers due at the same time, as asyncio's heap does

    # Scheduling ---------------------------------------------------------

    def call_soon(self, label: str, callback: Callable[[], None]) -> None:
        self.ready.append((label, callback))

    def call_at(self, due: float, label: str, callback: Callable[[], None]) -> None:
        self.serial += 1
        heapq.heappush(self.timers, (due, self.serial, label, callback))

    def create_task(self, child: Child, parent: Task | None, line: int | None) -> Task:
        task = Task(id=len(self.tasks), name=child.name, body=child.body, ready_at=self.now)
        self.tasks.append(task)
        self.record(
            "task_created",
            self.now,
            task=task.id,
            name=task.name,
            parent=parent.id if parent else None,
            line=line,
            lane=child.lane,
        )
        self.wake_soon(task)
        return task

    def wake_soon(self, task: Task, value: Any = None) -> None:
        # The tracer names a task's step, and the timer that wakes it, by its number.
        task.ready_at = self.now
        self.call_soon(f"task {task.id} step", lambda: self.step(task, value))

    # Running ------------------------------------------------------------

    def step(self, task: Task, value: Any = None) -> None:
        start = self.now
        line = awaits = line_blocked = None
        state = "waiting"
        while True:
            try:
                command = task.body.send(value)
            except StopIteration:
                state = "done"
                break
            value = None
            if isinstance(command, Print):
                self.now += PRINT_COST
            elif isinstance(command, Block):
                self.now += command.seconds
                line_blocked = command.line
            elif isinstance(command, CreateTask):
                self.now += CREATE_COST
                value = self.create_task(command.child, task, command.line)
            elif isinstance(command, Sleep):
                line, awaits = command.line, f"sleep {command.seconds:g} s"
                self.call_at(
                    self.now + command.seconds,
                    f"task {task.id} ({awaits})",
                    lambda task=task: self.wake_soon(task),
                )
                break
            elif isinstance(command, Gather):
                line, awaits = command.line, "gather"
                self.gather(task, command)
                break
            elif isinstance(command, AwaitTask):
                line, awaits = command.line, f"task {command.task.id}"
                if not command.task.done:
                    # The awaited task's end queues this one's step directly.
                    command.task.on_done.append(lambda task=task: self.wake_soon(task))
                    break
        self.now += STEP_COST
        self.record(
            "step",
            start,
            task=task.id,
            ready=task.ready_at,
            start=start,
            end=self.now,
            line=line,
            awaits=awaits,
            state=state,
        )
        if self.now - start > BLOCKED_AFTER:
            self.record(
                "blocked", start, start=start, end=self.now, line=line_blocked, task=task.id
            )
        if state == "done":
            task.done = True
            for schedule in task.on_done:
                schedule()

    def gather(self, parent: Task, command: Gather) -> None:
        left = len(command.children)

        def one_done() -> None:
            nonlocal left
            left -= 1
            if not left:
                self.wake_soon(parent)

        for child in command.children:
            self.now += CREATE_COST
            task = self.create_task(child, parent, command.line)
            task.on_done.append(lambda: self.call_soon("gather._done_callback", one_done))

    def run(self, main: Child) -> list[dict[str, Any]]:
        """Runs ``main`` as asyncio.Runner would; returns the records, in the order made."""
        self.now = 0.000005
        task = self.create_task(main, None, None)
        task.on_done.append(lambda: self.call_soon("_run_until_complete_cb", self.set_stopping))
        pending: dict[str, Any] | None = None
        while not self.stopping:
            start = self.now
            if pending:
                self.records.append({**pending, "end": self.round(start)})
            ready = [label for label, _ in self.ready][:20]
            timers = [
                {"due": self.round(due), "wakes": label}
                for due, _, label, _ in sorted(self.timers)[:20]
            ]
            if self.ready:
                timeout, woke_by = 0.0, "ready"
                self.now += 0.000004
            else:
                due = self.timers[0][0]
                timeout, woke_by = max(0.0, due - self.now), "timer"
                self.now += math.ceil(timeout * 1000) / 1000 + SELECT_OVERSHOOT
            select_wait = self.now - start
            while self.timers and self.timers[0][0] <= self.now:
                _, _, label, callback = heapq.heappop(self.timers)
                self.call_soon(label, callback)
            count = len(self.ready)
            for _ in range(count):
                _, callback = self.ready.popleft()
                self.now += CALLBACK_COST
                callback()
            pending = {
                "kind": "turn",
                "t": self.round(start),
                "start": self.round(start),
                "select_wait": self.round(select_wait),
                "timeout": self.round(timeout),
                "woke_by": woke_by,
                "callbacks": count,
                "ready": ready,
                "timers": timers,
            }
        if pending:
            self.records.append({**pending, "end": self.round(self.now)})
        return self.records

    def set_stopping(self) -> None:
        self.stopping = True

    # Records ------------------------------------------------------------

    @staticmethod
    def round(value: float) -> float:
        return round(value, 6)

    def record(self, kind: str, t: float, **fields: Any) -> None:
        rounded = {
            key: self.round(value) if isinstance(value, float) else value
            for key, value in fields.items()
        }
        self.records.append({"kind": kind, "t": self.round(t), **rounded})


# The demos --------------------------------------------------------------------


def sleep_trace(source: str, *, tasks: int = 3, seconds: float = 0.25) -> list[dict[str, Any]]:
    """The sleep demo's async version: ``tasks`` tasks sleep ``seconds`` together."""
    sleeping = line_of(source, "await asyncio.sleep(")
    gathering = line_of(source, "await asyncio.gather(")

    def say_hello() -> Coroutine:
        yield Sleep(seconds, sleeping)
        yield Print()

    def main() -> Coroutine:
        yield Gather([Child("say_hello_async", n, say_hello()) for n in range(tasks)], gathering)

    return Loop().run(Child("main", None, main()))


def blocking_trace(
    source: str, *, tasks: int = 2, block: float = 1.0, step: float = 0.25, steps: int = 4
) -> list[dict[str, Any]]:
    """The blocking demo's time.sleep version: task 0 holds the loop ``block`` seconds."""
    blocking = line_of(source, "time.sleep(block)")
    stepping = line_of(source, "await asyncio.sleep(STEP_SECONDS)")
    beating = line_of(source, "await asyncio.sleep(every)")
    creating = line_of(source, "asyncio.create_task(heartbeat")
    gathering = line_of(source, "await asyncio.gather(")
    awaiting = line_of(source, "await monitor")
    done = False
    loop = Loop()

    def worker(number: int) -> Coroutine:
        for count in range(1, steps + 1):
            if number == 0 and count == 3:
                yield Block(block, blocking)
            yield Sleep(step, stepping)
            yield Print()

    def heartbeat(every: float = 0.05) -> Coroutine:
        while not done:
            before = loop.now
            yield Sleep(every, beating)
            if loop.now - before - every > 0.1:
                yield Print()

    def main() -> Coroutine:
        nonlocal done
        monitor = yield CreateTask(Child("heartbeat", tasks, heartbeat()), creating)
        yield Gather([Child("worker_that_blocks", n, worker(n)) for n in range(tasks)], gathering)
        done = True
        yield AwaitTask(monitor, awaiting)

    return loop.run(Child("main", None, main()))
