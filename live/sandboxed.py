"""A reader's own program, run by a sandbox runner and streamed back to the page.

The site never runs a reader's code: it sends the program to the runners
through the channel layer (``sandbox.runner`` says how they answer) and
relays what comes back. ``SandboxedExecution`` has the shape the consumer
expects of a demo's execution (``execute``, ``cancel``, ``drain_trace``), so a
run of the reader's code queues, streams, cancels and is stored like any run.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from demos.reporting import Event
from demos.runner import NOT_STARTED, RunResult
from live.channel_layer import LAYER_ERRORS
from live.limits import Unavailable
from sandbox.runner import RUNS_CHANNEL

logger = logging.getLogger(__name__)

# What the runner may send in an event, and so what a page may receive.
_EVENT_TYPES = frozenset({"task_started", "output", "task_finished", "trace"})


class SandboxedExecution:
    def __init__(self, code: str, mode: str, *, trace: bool, emit: Callable[[Event], None]) -> None:
        self.code = code
        self.mode = mode
        self.trace = trace
        self._emit = emit
        self._layer = get_channel_layer()
        self._control: str | None = None
        self._cancel_reason = ""
        self._cancelled = asyncio.Event()
        # What the program printed to standard output, in order (bounded by the
        # sandbox's output limit), and what the runner measured outside it:
        # what an exercise is graded on (exercises.grading).
        self.printed: list[str] = []
        self.weather: dict[str, Any] | None = None
        self.stopped: str | None = None

    def cancel(self, reason: str = "cancelled by the reader") -> None:
        if self._cancelled.is_set():
            return
        self._cancel_reason = reason
        self._cancelled.set()

    def drain_trace(self) -> list[dict[str, Any]]:
        return []  # a sandbox sends its trace as it goes, in events of their own

    async def execute(self) -> RunResult:
        layer = self._layer
        wall = settings.SANDBOX_LIMITS.wall_seconds
        answer_within = settings.SANDBOX_ANSWER_SECONDS
        try:
            reply = await layer.new_channel()
            await layer.send(
                RUNS_CHANNEL,
                {"type": "sandbox.run", "reply_to": reply, "code": self.code, "mode": self.mode,
                 "trace": self.trace, "expires": time.time() + answer_within},
            )  # fmt: skip
        except LAYER_ERRORS as error:
            raise Unavailable(f"cannot reach the sandbox runners: {error!r}") from None
        # The first answer: a runner took it, or none did in time.
        first = await self._next(reply, answer_within, watch_cancel=True)
        if first is _CANCELLED:
            return RunResult("cancelled", 0.0, NOT_STARTED, reason=self._cancel_reason,
                             started=False)  # fmt: skip
        if first is None or first.get("type") != "sandbox.accepted":
            raise Unavailable("no sandbox runner answered")
        control = first.get("control")
        self._control = control if isinstance(control, str) else None
        # A runner ends every run within its wall clock; a margin for the last messages.
        deadline = time.monotonic() + wall + answer_within
        cancel_sent = False
        while True:
            message = await self._next(
                reply, max(0.0, deadline - time.monotonic()), watch_cancel=not cancel_sent
            )
            if message is _CANCELLED:
                cancel_sent = True
                if self._control is not None:
                    await self._send_cancel()
                continue
            if message is None:
                logger.warning("a sandbox runner stopped answering mid-run")
                reason = "the sandbox runner stopped answering"
                self.stopped = "runner"  # not an end of its own: graded as unfinished
                return RunResult("failed", 0.0, f"Stopped: {reason}.", reason=reason)
            match message.get("type"):
                case "sandbox.events":
                    self._relay(message.get("events"))
                case "sandbox.finished":
                    outcome = message.get("outcome")
                    if isinstance(outcome, dict):
                        weather, stopped = outcome.get("weather"), outcome.get("stopped")
                        self.weather = weather if isinstance(weather, dict) else None
                        self.stopped = stopped if isinstance(stopped, str) else None
                    return _result(outcome, self._cancel_reason)

    async def _next(self, channel: str, within: float, *, watch_cancel: bool) -> Any:
        """The next message on ``channel``, ``_CANCELLED`` if cancel is asked first
        (when ``watch_cancel``), or None when nothing came ``within`` seconds."""
        receiving = asyncio.ensure_future(self._layer.receive(channel))
        waits: set[asyncio.Future[Any]] = {receiving}
        if watch_cancel:
            waits.add(cancelling := asyncio.ensure_future(self._cancelled.wait()))
        try:
            done, _ = await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waits:
                if future is not receiving:
                    future.cancel()
        if receiving in done:
            try:
                return receiving.result()
            except LAYER_ERRORS:
                return None
        receiving.cancel()
        if watch_cancel and cancelling in done:
            return _CANCELLED
        return None

    async def _send_cancel(self) -> None:
        try:
            await self._layer.send(self._control, {"type": "sandbox.cancel"})
        except LAYER_ERRORS:
            logger.warning("could not ask a sandbox runner to cancel", exc_info=True)

    def _relay(self, events: Any) -> None:
        if not isinstance(events, list):
            return
        for event in events:
            if isinstance(event, dict) and event.get("type") in _EVENT_TYPES:
                if event["type"] == "output" and event.get("stream") != "stderr":
                    self.printed.append(str(event.get("text", "")))
                self._emit(event)


_CANCELLED = object()


def _result(outcome: Any, cancel_reason: str) -> RunResult:
    if not isinstance(outcome, dict):
        return RunResult("failed", 0.0, "Stopped: the runner's answer was not understood.")
    status = outcome.get("status")
    if status not in ("ok", "failed", "cancelled"):
        status = "failed"
    reason = str(outcome.get("reason") or "")
    if status == "cancelled" and cancel_reason:
        reason = cancel_reason
    return RunResult(
        status=status,
        elapsed=float(outcome.get("elapsed") or 0.0),
        summary=str(outcome.get("summary") or ""),
        tasks=outcome.get("tasks") or [],
        reason=reason,
        trace=outcome.get("trace"),
        error=outcome.get("error"),
    )
