"""Run one variant of a demo for real and report its events as they happen."""

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from demos.base import Demo, Variant, Where
from demos.instrument import instrument
from demos.reporting import (
    Event,
    RunCancelled,
    RunReporter,
    TaskFactory,
    install_task_factory,
    new_loop,
    quiet_about_cancelled_runs,
    task_identity,
)
from demos.tracer import Tracer, private_program

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RunResult:
    status: str  # "ok" | "failed" | "cancelled"
    elapsed: float
    summary: str
    tasks: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    # False for a run cancelled before its program began: nothing ran, so
    # there is nothing to show or store.
    started: bool = True
    # The event loop's record of a traced run (demos.tracer), else None.
    trace: list[dict[str, Any]] | None = None
    # A reader's program that raised or did not compile: type, message, line,
    # traceback (sandbox.inside); a demo's own failures are its tasks'.
    error: dict[str, Any] | None = None


NOT_STARTED = "Cancelled before it started."


def quiet_loop(tracer: Tracer) -> asyncio.AbstractEventLoop:
    return quiet_about_cancelled_runs(tracer.new_loop())


# Held by a run of a program that changes what belongs to the whole process
# (Variant.alone) for as long as it runs; other runs never take it.
_ALONE = threading.Lock()


def _one_at_a_time(alone: bool) -> contextlib.AbstractContextManager[object]:
    return _ALONE if alone else contextlib.nullcontext()


def summary_for(elapsed: float) -> str:
    return f"Program executed in {elapsed:.2f} seconds."


class DemoExecution:
    """One run of one variant. ``execute`` runs it; ``cancel`` stops it early.

    Cancelling is cooperative: an async variant is cancelled at once, a thread
    variant stops before its next step (a thread cannot be interrupted inside
    ``time.sleep``). An async variant runs in the task that awaits ``execute``;
    a cancel of the run cancels that task only while the program runs, and
    ``execute`` takes it back (``uncancel``) and returns the cancelled run, so
    the caller is never left cancelled by it.

    A traced run (``trace``) runs its async variant on a private event loop in
    a pool thread, whatever the variant's usual place: the tracer watches that
    loop, and no other reader's tasks are ever on it.
    """

    def __init__(
        self,
        demo: Demo,
        mode: str,
        params: dict[str, Any],
        *,
        emit: Callable[[Event], None],
        executor: ThreadPoolExecutor,
        trace: bool = False,
    ) -> None:
        self.demo = demo
        self.mode = mode
        self.params = params
        self.trace = trace
        self._tracer: Tracer | None = None
        self._executor = executor
        self._loop = asyncio.get_running_loop()
        self.reporter = RunReporter(self._loop, emit)
        # The task running an async variant's program, while it runs; whether
        # ``cancel`` cancelled it; whether someone else did as well.
        self._inner: asyncio.Task[Any] | None = None
        self._cancelled_inner = False
        self._cancelled_from_outside = False
        self._private_loop: asyncio.AbstractEventLoop | None = None
        self._cancel_reason = ""

    def cancel(self, reason: str = "cancelled by the reader") -> None:
        if self.reporter.cancel_requested:
            return
        self._cancel_reason = reason
        self.reporter.cancel_requested = True
        if self._inner is not None and self._inner is not _current_task_or_none():
            self._inner.cancel()
            self._cancelled_inner = True
        # else called from inside the program (its emit, say): on Python 3.12
        # uncancel would not clear a cancel of the running task itself, so
        # none is made; the program's next print stops it (RunCancelled).
        private_loop, inner = self._private_loop, getattr(self, "_private_inner", None)
        if private_loop is not None and inner is not None:
            # RuntimeError: the run ended and its loop closed meanwhile.
            with contextlib.suppress(RuntimeError):
                private_loop.call_soon_threadsafe(inner.cancel)

    def drain_trace(self) -> list[dict[str, Any]]:
        """The trace records made since the last call (none before the tracer exists)."""
        tracer = self._tracer
        return tracer.drain() if tracer is not None else []

    async def execute(self) -> RunResult:
        variant = self.demo.variant(self.mode)
        where = Where.PRIVATE_LOOP if self.trace else variant.where
        elapsed = 0.0
        try:
            match where:
                case Where.LOOP:
                    elapsed = await self._on_loop(instrument(variant.program), variant.main)
                case Where.THREAD:
                    instrument(variant.program, sync=True)
                    elapsed = await self._on_thread(variant.main, alone=variant.alone)
                case Where.PRIVATE_LOOP:
                    elapsed = await self._on_private_loop(variant)
        except (asyncio.CancelledError, RunCancelled) as stop:
            if not self.reporter.cancel_requested:
                raise  # our caller was cancelled, not just this run
            if self._cancelled_from_outside:
                # This run's cancel and the caller's as well: however the
                # program ended, the caller's cancel goes on.
                raise asyncio.CancelledError from stop
            if not self.reporter.started:
                # Its thread or task had not begun the program yet.
                return RunResult(
                    "cancelled", 0.0, NOT_STARTED, reason=self._cancel_reason, started=False
                )
            elapsed = self._elapsed_so_far()
            return self._finish("cancelled", elapsed)
        except Exception as exc:
            logger.info("demo %s/%s failed: %r", self.demo.name, self.mode, exc)
            # Its traceback holds the program's frames, and the failed task that
            # also holds it is among them: a cycle, with this run in it.
            exc.__traceback__ = None
            elapsed = self._elapsed_so_far()
            return self._finish("failed", elapsed, reason=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            # However the run ended, its caller's cancel included.
            self.reporter.close_unstarted()
        failed = any(record["ok"] is False for record in self.reporter.tasks)
        return self._finish("failed" if failed else "ok", elapsed)

    async def _on_loop(self, program: ModuleType, main: Callable[..., Any]) -> float:
        # In the caller's task, not one of its own: a task, its context and a
        # coroutine or two less per run, which a thousand runs at once feel as
        # garbage collections. The reporter is bound for the program's time
        # only, and the tasks it makes inherit it.
        #
        # The clock covers the program alone: it starts when main does, in a
        # turn of the loop shared with at most a few other programs' starts
        # (the consumer paces them, live.start_pacing), and stops as main
        # returns.
        #
        # The tasks the program makes are reported by the loop's task factory,
        # set on the server's loop once for every run.
        task = asyncio.current_task()
        assert task is not None, "execute runs in a task"
        install_task_factory(self._loop)
        self.reporter.program = vars(program)
        bound = self.reporter.bind()
        self._inner = task
        try:
            self.reporter.start()
            await main(**self.params)
            return self.reporter.now()
        finally:
            self._inner = None
            self.reporter.unbind(bound)
            if self._cancelled_inner:
                # Our cancel is taken back, so the caller's task is not left
                # cancelling; any cancel still counted came from elsewhere.
                self._cancelled_from_outside = task.uncancel() > 0

    async def _on_thread(self, main: Callable[..., Any], *, alone: bool = False) -> float:
        # The calls main makes to the program's functions are its tasks
        # (demos.reporting.watch_sync_program).
        self.reporter.sync_main = main.__code__

        def work() -> float:
            with _one_at_a_time(alone):
                self.reporter.bind()
                self.reporter.check_cancelled()  # while its thread was on its way
                self.reporter.start()
                main(**self.params)
                return self.reporter.now()

        context = contextvars.copy_context()
        return await self._loop.run_in_executor(self._executor, context.run, work)

    async def _on_private_loop(self, variant: Variant) -> float:
        def work() -> float:
            with _one_at_a_time(variant.alone):
                return on_its_loop()

        def on_its_loop() -> float:
            # Bound in the thread's context too, not only in main's task: what
            # the loop does outside any task (its debug mode's log of a slow
            # callback, a finaliser run between two callbacks) may print as well.
            self.reporter.bind()
            if not self.trace:
                self.reporter.program = vars(instrument(variant.program))
                return asyncio.run(self._private_main(variant.main), loop_factory=new_loop)
            # A copy of the program's module of its own, so that watching its
            # code costs no other run anything. Its lines are the listing's.
            program = instrument(private_program(variant.program))
            self.reporter.program = vars(program)
            main = getattr(program, variant.main.__name__)

            def identify(coro: object) -> tuple[str, int | None]:
                # The task running main runs this class's wrapper around it.
                if getattr(coro, "cr_code", None) is _PRIVATE_MAIN:
                    return main.__name__, None
                return task_identity(coro)

            tracer = self._tracer = Tracer(program, identify=identify, task_factory=TaskFactory())
            try:
                with asyncio.Runner(loop_factory=lambda: quiet_loop(tracer)) as runner:
                    # Recording from before main's task is made, so that its
                    # making and its first step are in the trace.
                    self.reporter.check_cancelled()
                    tracer.begin(self.reporter.start())
                    return runner.run(self._private_main(main))
            finally:
                tracer.close()

        context = contextvars.copy_context()
        return await self._loop.run_in_executor(self._executor, context.run, work)

    async def _private_main(self, main: Callable[..., Any]) -> float:
        self.reporter.bind()
        self._private_loop = asyncio.get_running_loop()
        self._private_inner = asyncio.current_task()
        self.reporter.check_cancelled()  # cancelled while waiting for a thread
        if not self.reporter.started:  # a traced run's clock started with its tracer
            self.reporter.start()
        await main(**self.params)
        return self.reporter.now()

    def _elapsed_so_far(self) -> float:
        try:
            return self.reporter.now()
        except RuntimeError:  # cancelled before it started
            return 0.0

    def _finish(self, status: str, elapsed: float, reason: str = "") -> RunResult:
        if status == "cancelled":
            reason = self._cancel_reason
        # Tasks cut off by a cancel or a crash are closed at the run's end.
        for record in self.reporter.tasks:
            if record["start"] is not None and record["end"] is None:
                record.update(end=elapsed, ok=False, error=reason or status)
        return RunResult(
            status=status,
            elapsed=round(elapsed, 4),
            summary=summary_for(elapsed),
            tasks=self.reporter.tasks,
            reason=reason,
            trace=self._tracer.records if self._tracer is not None else None,
        )


_PRIVATE_MAIN = DemoExecution._private_main.__code__


def _current_task_or_none() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no loop running in this thread
        return None
