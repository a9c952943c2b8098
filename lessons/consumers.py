"""The demo websocket: a thin adapter between the protocol and the runner.

Each run is an asyncio task this consumer owns, so ``receive`` returns at once
and a ``cancel`` or a disconnect is handled while runs are going. Events go out
through one queue per connection, so they reach the reader in order.
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from lessons import runtime, services
from lessons.demos.base import Where
from lessons.demos.registry import get_demo
from lessons.demos.reporting import Event
from lessons.demos.runner import DemoExecution
from lessons.protocol import CancelRequest, ProtocolError, RunRequest, parse_frame

logger = logging.getLogger(__name__)


@dataclass
class ActiveRun:
    request: RunRequest
    task: asyncio.Task[None] | None = None
    execution: DemoExecution | None = None
    cancel_reason: str = field(default="")

    def cancel(self, reason: str) -> None:
        self.cancel_reason = reason
        if self.execution is not None:
            self.execution.cancel(reason)
        elif self.task is not None:
            self.task.cancel()  # still waiting for capacity: nothing has run yet


class DemoConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.runs: dict[str, ActiveRun] = {}
        self.outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.sender = asyncio.create_task(self._send_outbox())
        client = self.scope.get("client") or ("unknown", 0)
        self.client_key = str(client[0])
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for active in list(self.runs.values()):
            active.cancel("the reader left")
        tasks = [active.task for active in self.runs.values() if active.task is not None]
        if tasks:
            # Sync runs stop before their next step: wait for them, so nothing of
            # this connection is left running once it is gone.
            await asyncio.gather(*tasks, return_exceptions=True)
        self.outbox.put_nowait(None)
        await self.sender

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            request = parse_frame(text_data, bytes_data)
            if isinstance(request, RunRequest):
                self._start(request)
            else:
                self._cancel(request)
        except ProtocolError as error:
            self.send_event(error.as_message())

    # Requests -------------------------------------------------------------
    def _start(self, request: RunRequest) -> None:
        if request.id in self.runs:
            raise ProtocolError("duplicate_id", "a run with this id is already going", request.id)
        if len(self.runs) >= settings.DEMO_MAX_PER_CONNECTION:
            raise ProtocolError(
                "busy",
                f"at most {settings.DEMO_MAX_PER_CONNECTION} runs at once per page; "
                "wait for one to finish or cancel it",
                request.id,
            )
        limiter = runtime.rate_limiter()
        if not limiter.allow(self.client_key):
            wait = limiter.retry_after(self.client_key)
            raise ProtocolError(
                "rate_limited",
                f"too many runs started; try again in {max(1, round(wait))} s",
                request.id,
            )
        active = ActiveRun(request=request)
        self.runs[request.id] = active
        active.task = asyncio.create_task(self._run(active))

    def _cancel(self, request: CancelRequest) -> None:
        active = self.runs.get(request.id)
        if active is None:
            raise ProtocolError("unknown_run", "no run with this id is going", request.id)
        active.cancel("cancelled by the reader")

    # Running --------------------------------------------------------------
    async def _run(self, active: ActiveRun) -> None:
        request = active.request
        demo = get_demo(request.demo)
        assert demo is not None  # parse_frame checked it
        self.send_event(
            {"type": "accepted", "id": request.id, "demo": demo.name, "mode": request.mode,
             "params": request.params}
        )  # fmt: skip
        uses_thread = demo.variant(request.mode).where != Where.LOOP
        gates = (
            [runtime.thread_gate(), runtime.running_gate()]
            if uses_thread
            else [runtime.running_gate()]
        )

        def queued(position: int) -> None:
            self.send_event({"type": "queued", "id": request.id, "position": position})

        held = []
        try:
            for gate in gates:
                await gate.acquire(queued)
                held.append(gate)
            active.execution = DemoExecution(
                demo,
                request.mode,
                request.params,
                emit=lambda event: self.send_event({**event, "id": request.id}),
                executor=runtime.sync_executor(),
            )
            result = await active.execution.execute()
        except asyncio.CancelledError:
            if active.execution is not None:
                raise
            # Cancelled while queued: nothing ran, so there is nothing to store.
            self.send_event(
                {"type": "finished", "id": request.id, "elapsed": 0.0, "status": "cancelled",
                 "summary": "Cancelled before it started.", "reason": active.cancel_reason}
            )  # fmt: skip
            return
        finally:
            for gate in held:
                gate.release()
            self.runs.pop(request.id, None)
        finished = {
            "type": "finished",
            "id": request.id,
            "elapsed": result.elapsed,
            "status": result.status,
            "summary": result.summary,
        }
        if result.reason:
            finished["reason"] = result.reason
        self.send_event(finished)
        await services.demo_run_record(
            demo=demo.name, mode=request.mode, params=request.params, result=result
        )

    # Sending --------------------------------------------------------------
    def send_event(self, event: Event) -> None:
        self.outbox.put_nowait(event)

    async def _send_outbox(self) -> None:
        while (event := await self.outbox.get()) is not None:
            try:
                await self.send(text_data=json.dumps(event))
            except Exception:  # the socket is gone; the runs are being cancelled
                logger.debug("could not send to a closed socket", exc_info=True)
