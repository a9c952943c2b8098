"""The demo websocket: a thin adapter between the protocol and the runner.

Each run is an asyncio task this consumer owns, so ``receive`` returns at once
and a ``cancel`` or a disconnect is handled while runs are going. Events go out
in order, one frame each, as they happen (see "Sending").

A page may also ``watch`` its lesson: the socket joins the lesson's channel
layer group, and a staff save on any process reaches it as ``lesson_updated``.

And it may ``share`` a run it saw finish: only one of this connection's latest
runs, named by the id the page gave it (live.sharing).
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from demos.base import Where
from demos.registry import get_demo
from demos.reporting import Event
from demos.runner import NOT_STARTED, DemoExecution
from exercises import grading as exercise_grading
from exercises import selectors as exercise_selectors
from exercises.blocks import Goal
from lessons import selectors as lesson_selectors
from lessons import services as lesson_services
from live import runtime, services, sharing, shutdown, start_pacing, trace_sending
from live.channel_layer import LAYER_ERRORS
from live.connection_checks import WithoutConnectionChecks
from live.limits import Gate, StartLimit, Unavailable, client_key
from live.protocol import (
    CancelRequest,
    ProtocolError,
    RunRequest,
    ShareRequest,
    WatchRequest,
    parse_frame,
)
from live.sandboxed import SandboxedExecution

logger = logging.getLogger(__name__)

# Events are plain dicts we build, never cyclic: no need to check for cycles.
_encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


@dataclass(slots=True)
class ActiveRun:
    request: RunRequest
    consumer: "DemoConsumer"
    task: asyncio.Task[None] | None = None
    execution: "DemoExecution | SandboxedExecution | None" = None
    cancel_reason: str = field(default="")
    # The goals of the exercise the run is for, read from the saved lesson, or None.
    goals: list[Goal] | None = None
    # Set once the run is over and gives back its capacity: nothing is left to
    # cancel, and cancelling its task then would cut that short.
    ending: bool = False
    # What a reader's program wrote outside its tasks ([t, text, stream]), kept
    # for its replay: the runner's record holds only each task's own output.
    loose_output: list[list[Any]] | None = None

    def emit(self, event: Event) -> None:
        """Send one of the run's events, marked with its id in place.

        The reporter makes a new dict for every event and keeps none; a
        thousand runs make eleven thousand events at once.
        """
        event["id"] = self.request.id
        if self.loose_output is not None and event["type"] == "output" and event["task"] is None:
            self.loose_output.append([event["t"], event["text"], event.get("stream", "stdout")])
        self.consumer.send_event(event)

    def cancel(self, reason: str) -> None:
        self.cancel_reason = reason
        if self.execution is not None:
            self.execution.cancel(reason)
        elif self.task is not None and not self.ending:
            self.task.cancel()  # still waiting for capacity: nothing has run yet


class DemoConsumer(WithoutConnectionChecks, AsyncWebsocketConsumer):
    # Whether this socket holds a place under the per-client cap (connect).
    admitted = False

    async def connect(self) -> None:
        self.runs: dict[str, ActiveRun] = {}
        # Every run's task, and then its storing, until done (a finished run
        # leaves self.runs before it is stored).
        self.run_tasks: set[asyncio.Future[Any]] = set()
        self._untrack = self.run_tasks.discard  # one bound method, not one per run
        self.outbox: list[Event | str] = []  # str: a frame already encoded
        self.sender: asyncio.Task[None] | None = None
        self.watching: set[int] = set()
        # The latest finished runs, by the page's id: what their storing gives
        # (the stored id), and the address of those already shared.
        self.shareable: dict[str, asyncio.Future[int | None]] = {}
        self.shared: dict[str, str] = {}
        client = self.scope.get("client") or ("unknown", 0)
        self.client_key = client_key(str(client[0]))
        self.admitted = runtime.socket_counter().admit(self.client_key)
        if not self.admitted:
            # Not a warning: one client opening sockets in a loop would flood the log.
            logger.debug("refused a demo socket: %s holds too many already", self.client_key)
            await self.close()  # before accepting: the handshake is refused (403)
            return
        shutdown.track(self)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.admitted:
            runtime.socket_counter().release(self.client_key)
            self.admitted = False
        shutdown.untrack(self)
        await self._stop_runs("the reader left")
        await self._leave_lesson_groups()
        await self._delivered()

    async def stop_for_restart(self, reason: str) -> None:
        """Stop every run with ``reason``, deliver what is queued, then close the socket."""
        await self._stop_runs(reason)
        await self._delivered()
        await self.close(code=shutdown.RESTART_CLOSE_CODE)

    async def _stop_runs(self, reason: str) -> None:
        for active in list(self.runs.values()):
            active.cancel(reason)
        # Wait for the runs and their storing, so nothing of this connection is
        # left running once it is gone; asyncio.wait, not gather, so that daphne
        # killing a slow-closing handler does not cancel the runs with it.
        while pending := [task for task in self.run_tasks if not task.done()]:
            await asyncio.wait(pending)

    async def _leave_lesson_groups(self) -> None:
        for lesson in self.watching:
            try:
                await self.channel_layer.group_discard(
                    lesson_services.lesson_group(lesson), self.channel_name
                )
            except LAYER_ERRORS:  # the membership expires by itself
                logger.debug("could not leave a lesson group", exc_info=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            request = parse_frame(text_data, bytes_data)
            if isinstance(request, RunRequest):
                await self._start(request)
            elif isinstance(request, CancelRequest):
                self._cancel(request)
            elif isinstance(request, ShareRequest):
                await self._share(request)
            else:
                await self._watch(request)
        except ProtocolError as error:
            self.send_event(error.as_message())

    # Requests -------------------------------------------------------------
    async def _start(self, request: RunRequest) -> None:
        if request.id in self.runs:
            raise ProtocolError("duplicate_id", "a run with this id is already going", request.id)
        if len(self.runs) >= settings.DEMO_MAX_PER_CONNECTION:
            raise ProtocolError(
                "busy",
                f"at most {settings.DEMO_MAX_PER_CONNECTION} runs at once per page; "
                "wait for one to finish or cancel it",
                request.id,
            )
        # Awaited here, before the run exists: one short Redis call when the
        # limit is shared, so receive stays quick and the checks above still hold.
        await self._admit(runtime.rate_limiter(), request, "too many runs started")
        goals = await self._exercise_goals(request) if request.exercise is not None else None
        if request.id in self.runs:  # the same id sent again while the goals were read
            raise ProtocolError("duplicate_id", "a run with this id is already going", request.id)
        active = ActiveRun(request=request, consumer=self, goals=goals)
        if request.code is not None:
            active.loose_output = []
        self.runs[request.id] = active
        # Started eagerly: the run is accepted and takes its place (gates, then
        # its turn to start, live.start_pacing) before receive returns,
        # instead of a loop turn later, behind other readers' messages.
        active.task = asyncio.eager_task_factory(asyncio.get_running_loop(), self._run(active))
        self._track(active.task)

    async def _exercise_goals(self, request: RunRequest) -> list[Goal]:
        ref = request.exercise
        assert ref is not None
        user = self.scope.get("user")
        is_staff = bool(user and user.is_active and user.is_staff)
        await aclose_old_connections()  # what Channels would have done (live.connection_checks)
        goals = await exercise_selectors.exercise_goals(
            lesson_id=ref.lesson, index=ref.index, is_staff=is_staff
        )
        if goals is None:
            raise ProtocolError(
                "unknown_exercise",
                f"lesson {ref.lesson} has no exercise {ref.index} (exercises count from 0)",
                request.id,
            )
        return goals

    def _cancel(self, request: CancelRequest) -> None:
        active = self.runs.get(request.id)
        if active is None:
            raise ProtocolError("unknown_run", "no run with this id is going", request.id)
        active.cancel("cancelled by the reader")

    async def _share(self, request: ShareRequest) -> None:
        # A run still going under a reused id is not the finished one.
        stored = None if request.id in self.runs else self.shareable.get(request.id)
        if stored is None:
            raise ProtocolError(
                "unknown_run", "no finished run with this id on this connection", request.id
            )
        if url := self.shared.get(request.id):
            self.send_event({"type": "shared", "id": request.id, "url": url})
            return
        await self._admit(runtime.share_limiter(), request, "too many runs shared")
        # In a task of its own: the run may still be on its way to the database.
        self._track(asyncio.ensure_future(self._shared(request, stored)))

    async def _shared(self, request: ShareRequest, stored: asyncio.Future[int | None]) -> None:
        # Shielded: the writer's future is awaited by the connection as well.
        run_id = await asyncio.shield(stored)
        if run_id is None:  # its writer gave up: asking again cannot help
            self.send_event(
                ProtocolError(
                    "unavailable",
                    "the run could not be stored, so it cannot be shared; run it again to share it",
                    request.id,
                ).as_message()
            )
            return
        try:
            token = await sharing.share_run_async(run_id=run_id, lesson_id=request.lesson)
        except sharing.RunTooBig as too_big:
            self.send_event(ProtocolError("too_big", str(too_big), request.id).as_message())
            return
        except Exception:  # the database: the reader may try again
            logger.warning("could not share run %s", run_id, exc_info=True)
            token = None
        if token is None:
            self.send_event(
                ProtocolError(
                    "unavailable", "the run could not be shared right now; try again", request.id
                ).as_message()
            )
            return
        url = sharing.run_url(token)
        self.shared[request.id] = url
        self.send_event({"type": "shared", "id": request.id, "url": url})

    async def _admit(
        self, limiter: StartLimit, request: RunRequest | ShareRequest, refusal: str
    ) -> None:
        """Count the request against ``limiter``, or refuse it with when to retry."""
        try:
            wait = await limiter.admit(self.client_key)
        except Unavailable as error:
            raise _unavailable(request, error) from None
        if wait:
            raise ProtocolError(
                "rate_limited", f"{refusal}; try again in {max(1, round(wait))} s", request.id
            )

    async def _watch(self, request: WatchRequest) -> None:
        lesson = request.lesson
        if lesson in self.watching:
            self.send_event({"type": "watching", "lesson": lesson})
            return
        if len(self.watching) >= settings.LESSON_WATCHES_PER_CONNECTION:
            raise ProtocolError(
                "watch_limit",
                f"a page may watch at most {settings.LESSON_WATCHES_PER_CONNECTION} lessons",
            )
        user = self.scope.get("user")
        is_staff = bool(user and user.is_active and user.is_staff)
        await aclose_old_connections()  # what Channels would have done (live.connection_checks)
        if not await lesson_selectors.lesson_is_visible(lesson_id=lesson, is_staff=is_staff):
            raise ProtocolError("unknown_lesson", f"there is no lesson {lesson} to watch")
        self.watching.add(lesson)
        try:
            await self.channel_layer.group_add(
                lesson_services.lesson_group(lesson), self.channel_name
            )
        except LAYER_ERRORS:
            # The layer joins it when Redis is back (live.channel_layer).
            logger.warning("could not watch lesson %s: Redis is unreachable", lesson)
            raise ProtocolError(
                "unavailable",
                "live updates are paused: the server cannot reach its shared state; "
                "they resume by themselves",
            ) from None
        self.send_event({"type": "watching", "lesson": lesson})

    async def lesson_updated(self, event: dict[str, Any]) -> None:
        """A lesson this socket watches was saved, on this process or another."""
        self.send_event(
            {"type": "lesson_updated", "lesson": event["lesson"], "version": event["version"],
             "title": event["title"]}
        )  # fmt: skip

    # Running --------------------------------------------------------------
    async def _run(self, active: ActiveRun) -> None:
        request = active.request
        demo = get_demo(request.demo)
        assert demo is not None or request.exercise is not None  # parse_frame checked it
        accepted: dict[str, Any] = {"type": "accepted", "id": request.id,
                                    "mode": request.mode, "params": request.params}  # fmt: skip
        if request.exercise is not None:
            accepted["exercise"] = {"lesson": request.exercise.lesson,
                                    "index": request.exercise.index}  # fmt: skip
        else:
            accepted["demo"] = demo.name
        if request.code is not None:
            accepted["code"] = True
        self.send_event(accepted)
        sandboxed = request.code is not None
        # A traced run has a private loop in a pool thread (demos.runner); a
        # reader's program runs in a sandbox, on a runner (live.sandboxed).
        uses_thread = not sandboxed and (
            request.trace or demo.variant(request.mode).where != Where.LOOP
        )
        if sandboxed:
            gates: tuple[Gate, ...] = (runtime.sandbox_gate(),)
        elif uses_thread:
            gates = (runtime.thread_gate(), runtime.running_gate())
        else:
            gates = (runtime.running_gate(),)

        def queued(position: int) -> None:
            self.send_event({"type": "queued", "id": request.id, "position": position})

        held = 0  # how many of the gates this run holds
        streaming: asyncio.Task[None] | None = None
        try:
            for gate in gates:
                await gate.acquire(queued, self.client_key)
                held += 1
            if not uses_thread and not sandboxed:
                # A few programs start their clocks per turn of the loop, not a
                # crowd's worth; a run cancelled meanwhile has not started.
                await start_pacing.pacer().turn()
            execution: DemoExecution | SandboxedExecution
            if request.code is not None:
                execution = SandboxedExecution(
                    request.code, request.mode, trace=request.trace, emit=active.emit
                )
            else:
                assert demo is not None
                execution = DemoExecution(
                    demo,
                    request.mode,
                    request.params,
                    emit=active.emit,
                    executor=runtime.sync_executor(),
                    trace=request.trace,
                )
            active.execution = execution
            if request.trace and not sandboxed:
                streaming = asyncio.create_task(
                    trace_sending.stream_records(request.id, execution.drain_trace, self.send_event)
                )
            result = await execution.execute()
            if request.trace and not sandboxed:
                trace_sending.send_records(request.id, execution.drain_trace, self.send_event)
        except Unavailable as error:
            # Waiting for the shared cap needs Redis; a run that started goes on without it.
            self.send_event(_unavailable(request, error).as_message())
            return
        except asyncio.CancelledError:
            if active.execution is not None:
                raise
            # Cancelled while queued: nothing ran, so there is nothing to store.
            self._never_started(request, active.cancel_reason)
            return
        finally:
            if streaming is not None:
                streaming.cancel()
            active.ending = True
            for gate in gates[:held]:
                # A shared gate's place is free for every process before the run is over.
                await gate.release(self.client_key)
            self.runs.pop(request.id, None)
            # The execution refers back to the run (its emit is the run's): let
            # go of it, so that this connection, once closed, is freed at once
            # rather than left to a full garbage collection.
            active.execution = None
        if not result.started:
            self._never_started(request, result.reason)
            return
        finished = {
            "type": "finished",
            "id": request.id,
            "elapsed": result.elapsed,
            "status": result.status,
            "summary": result.summary,
        }
        if result.reason:
            finished["reason"] = result.reason
        if result.error is not None:
            finished["error"] = result.error
        self.send_event(finished)
        if active.goals is not None:
            assert isinstance(execution, SandboxedExecution)
            measured = exercise_grading.measured_run(
                result, printed=execution.printed, weather=execution.weather,
                stopped=execution.stopped,
            )  # fmt: skip
            self.send_event(exercise_grading.graded_message(request.id, active.goals, measured))
            # An exercise's runs are the reader's own: not kept, so not shareable, and
            # an older run under the same id is no longer the one it names.
            self.shareable.pop(request.id, None)
            self.shared.pop(request.id, None)
            return
        assert demo is not None
        # Queued for storing, and this task ends: the run's objects are let go
        # at once, while the connection still waits for the store (run_tasks).
        stored = services.demo_run_record(
            demo=demo.name,
            mode=request.mode,
            params=request.params,
            result=result,
            code=request.code or "",
            output=active.loose_output,
        )
        self._track(stored)
        self._remember_shareable(request.id, stored)

    def _remember_shareable(self, run_id: str, stored: asyncio.Future[int | None]) -> None:
        self.shareable.pop(run_id, None)
        self.shared.pop(run_id, None)  # an id used again names the new run
        self.shareable[run_id] = stored
        while len(self.shareable) > sharing.SHAREABLE_PER_CONNECTION:
            oldest = next(iter(self.shareable))
            del self.shareable[oldest]
            self.shared.pop(oldest, None)

    def _never_started(self, request: RunRequest, reason: str) -> None:
        self.send_event(
            {"type": "finished", "id": request.id, "elapsed": 0.0, "status": "cancelled",
             "summary": NOT_STARTED, "reason": reason}
        )  # fmt: skip

    def _track(self, future: asyncio.Future[Any]) -> None:
        self.run_tasks.add(future)
        future.add_done_callback(self._untrack)

    # Sending --------------------------------------------------------------
    # Events come from plain function calls (the demo's reporter) and wait in
    # the outbox for a sender task, started eagerly: daphne's send never waits,
    # so an event is usually on the wire before send_event returns. Only a send
    # that waits keeps the task alive; idle sockets hold none.
    def send_event(self, event: Event | str) -> None:
        self.outbox.append(event)
        if self.sender is None:
            sender = asyncio.eager_task_factory(asyncio.get_running_loop(), self._send_outbox())
            if not sender.done():
                self.sender = sender

    async def _send_outbox(self) -> None:
        try:
            while self.outbox:
                event = self.outbox.pop(0)
                try:
                    text = event if isinstance(event, str) else _encode(event)
                    await self.send(text_data=text)
                except Exception:  # the socket is gone; the runs are being cancelled
                    logger.debug("could not send to a closed socket", exc_info=True)
        finally:
            self.sender = None

    async def _delivered(self) -> None:
        """Wait until every event sent so far has been handed to the socket."""
        while self.sender is not None:
            await asyncio.shield(self.sender)


def _unavailable(request: RunRequest | ShareRequest, error: Unavailable) -> ProtocolError:
    logger.warning("refused run %s: %s", request.id, error)
    if isinstance(request, ShareRequest):
        return ProtocolError(
            "unavailable", "runs cannot be shared right now; try again in a moment", request.id
        )
    return ProtocolError(
        "unavailable",
        "demos cannot start right now: the server cannot reach its shared state; "
        "try again in a moment",
        request.id,
    )
