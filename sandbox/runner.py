"""The runner: takes readers' runs from the channel layer and runs each in a sandbox.

A runner is a process of its own (``python -m sandbox``), beside daphne or
on another host, fed through the channel layer the site already has (Redis):

- the site sends ``sandbox.run`` to the channel ``RUNS_CHANNEL`` with the
  program, the channel to answer on (``reply_to``) and when the request
  stops being worth running (``expires``, epoch seconds);
- the runner answers ``sandbox.accepted`` with a channel of its own for
  ``sandbox.cancel``, then ``sandbox.events`` (a few events at a time, as
  they happen) and last ``sandbox.finished`` with the outcome.

It takes a run off the channel only when one of its ``capacity`` slots is
free, so several runners share the work and a busy one leaves runs to the
others. The runner holds no secret of the site's: only the channel layer's
address and the weather simulator's.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any, Protocol

from sandbox.launcher import Event, Launcher, Outcome
from sandbox.limits import Limits

logger = logging.getLogger(__name__)

RUNS_CHANNEL = "sandbox-runs"
# Events wait this long for company before they leave: one message for the
# burst of events a program makes at once, not one each.
BATCH_SECONDS = 0.01
MODES = ("sync", "async")
RETRY_SECONDS = 1.0


class Layer(Protocol):
    async def send(self, channel: str, message: dict[str, Any]) -> None: ...
    async def receive(self, channel: str) -> dict[str, Any]: ...
    async def new_channel(self, prefix: str = "specific.") -> str: ...


def checked_request(message: Any, limits: Limits) -> dict[str, Any] | None:
    """The run request, or None when it is not one this runner can run."""
    if not isinstance(message, dict) or message.get("type") != "sandbox.run":
        return None
    code, mode = message.get("code"), message.get("mode")
    reply_to, expires = message.get("reply_to"), message.get("expires")
    if not isinstance(code, str) or len(code.encode("utf-8", "replace")) > limits.code_bytes:
        return None
    if mode not in MODES or not isinstance(reply_to, str) or not reply_to:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    return {"code": code, "mode": mode, "reply_to": reply_to, "expires": float(expires),
            "trace": message.get("trace") is True}  # fmt: skip


class Runner:
    def __init__(self, layer: Layer, launcher: Launcher, *, capacity: int = 4,
                 channel: str = RUNS_CHANNEL) -> None:  # fmt: skip
        self.layer = layer
        self.launcher = launcher
        self.capacity = capacity
        self.channel = channel
        # The sandbox slots free now: a slot gives its sandbox an outside uid of its own.
        self._free_slots: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(capacity):
            self._free_slots.put_nowait(slot)
        self._runs: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Take runs for ever, at most ``capacity`` at once; cancel to stop."""
        try:
            while True:
                slot = await self._take_slot()
                try:
                    message = await self.layer.receive(self.channel)
                except Exception:
                    # Redis is down or restarting: the runner waits for it, not dies.
                    self._give_back(slot)
                    logger.warning("cannot take runs from the channel layer", exc_info=True)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                except BaseException:
                    self._give_back(slot)
                    raise
                task = asyncio.create_task(self._run(message, slot))
                self._runs.add(task)
                task.add_done_callback(self._runs.discard)
        finally:
            for task in list(self._runs):
                task.cancel()
            if self._runs:
                await asyncio.wait(list(self._runs))

    async def _take_slot(self) -> int:
        return await self._free_slots.get()

    def _give_back(self, slot: int) -> None:
        self._free_slots.put_nowait(slot)

    async def _run(self, message: Any, slot: int) -> None:
        try:
            request = checked_request(message, self.launcher.limits)
            if request is None:
                logger.warning("dropped a malformed sandbox request")
                return
            if request["expires"] < time.time():
                logger.info("dropped a sandbox request nobody waits for any more")
                return
            await self._answer(request, slot)
        except Exception:
            logger.exception("a sandboxed run failed on the runner's side")
        finally:
            self._give_back(slot)

    async def _answer(self, request: dict[str, Any], slot: int) -> None:
        reply_to = request["reply_to"]
        control = await self.layer.new_channel()
        await self.layer.send(reply_to, {"type": "sandbox.accepted", "control": control})
        batch = _Batch(self.layer, reply_to)
        stop = asyncio.Event()
        listening = asyncio.create_task(self._stop_on_cancel(control, stop))
        try:
            outcome = await self.launcher.run(
                request["code"], mode=request["mode"], trace=request["trace"],
                send=batch.add, slot=slot, stop=stop,
            )  # fmt: skip
        except asyncio.CancelledError:
            # The runner is stopping: the sandbox is dead; say so if the layer still listens.
            outcome = Outcome("cancelled", 0.0, "Cancelled.", reason="the sandbox runner stopped")
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(batch, reply_to, outcome))
            raise
        finally:
            listening.cancel()
        await self._finish(batch, reply_to, outcome)

    async def _finish(self, batch: "_Batch", reply_to: str, outcome: Outcome) -> None:
        await batch.flush()
        await self.layer.send(reply_to, {"type": "sandbox.finished", "outcome": asdict(outcome)})

    async def _stop_on_cancel(self, control: str, stop: asyncio.Event) -> None:
        while True:
            message = await self.layer.receive(control)
            if isinstance(message, dict) and message.get("type") == "sandbox.cancel":
                stop.set()
                return


class _Batch:
    """Events on their way to the site, sent a few at a time and in order."""

    def __init__(self, layer: Layer, channel: str) -> None:
        self.layer = layer
        self.channel = channel
        self.events: list[Event] = []
        self.sending: asyncio.Task[None] | None = None

    def add(self, event: Event) -> None:
        self.events.append(event)
        if self.sending is None or self.sending.done():
            self.sending = asyncio.get_running_loop().create_task(self._send_soon())

    async def _send_soon(self) -> None:
        await asyncio.sleep(BATCH_SECONDS)
        await self._send()

    async def _send(self) -> None:
        while self.events:
            events, self.events = self.events, []
            try:
                await self.layer.send(self.channel, {"type": "sandbox.events", "events": events})
            except Exception:  # the site's side is gone or full: the run goes on
                logger.warning("could not deliver a sandboxed run's events", exc_info=True)

    async def flush(self) -> None:
        if self.sending is not None:
            await self.sending
        await self._send()
