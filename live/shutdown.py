"""Graceful stop: readers hear that the server is restarting, and nothing is lost.

daphne serves on Twisted's asyncio reactor. On SIGTERM or SIGINT the reactor
fires its "shutdown" event in three phases: it calls every "before" trigger and
waits for the Deferreds they return; then, "during", it stops the loop and drops
every connection. daphne's own "before" trigger cancels the application
instances, which does not cancel our runs (each is a task of its own) and closes
no socket. So one "before" trigger of ours (``before_daphne_stops``) can still:

1. cancel every run with a reason, let each reader receive its ``finished``,
   and close each socket with ``RESTART_CLOSE_CODE`` (``stop_all``); a weather
   run's own aiohttp session closes as its program is cancelled;
2. write every run still queued for storing (live.run_writer).

Consumers register here while they are connected, so the consumer stays a thin
adapter.
"""

import asyncio
import logging
import sys
import weakref
from typing import Protocol

from live import run_writer

logger = logging.getLogger(__name__)

RESTART_REASON = "the server is restarting; run it again in a moment"
# Sent as the socket's close code. The standard 1012 ("service restart") is not
# one an application may send through daphne (autobahn allows 1000 and
# 3000-4999), so it is mirrored in the private range.
RESTART_CLOSE_CODE = 4012
# Long enough for a sync run to reach its next step (a demo's longest step is
# a 5 s sleep or one request bounded by WEATHER_TIMEOUT) and for storage retries.
GRACE_SECONDS = 12.0
# Twisted writes a frame when the loop next finds the socket writable; these
# moments let the last frames leave before the connections are dropped.
FLUSH_SECONDS = 0.2


class Stoppable(Protocol):
    async def stop_for_restart(self, reason: str) -> None: ...


# Weak: a connection that somehow never reaches disconnect() is not kept alive here.
_live: "weakref.WeakSet[Stoppable]" = weakref.WeakSet()
_hooked = False


def track(connection: Stoppable) -> None:
    _live.add(connection)
    _hook_into_reactor()


def untrack(connection: Stoppable) -> None:
    _live.discard(connection)


def live_connections() -> int:
    return len(_live)


async def stop_all(reason: str = RESTART_REASON, grace: float = GRACE_SECONDS) -> None:
    """Stop every tracked connection's runs with ``reason`` and close it; bounded by ``grace``."""
    connections = list(_live)
    if not connections:
        return
    logger.info("stopping %d demo connections: %s", len(connections), reason)
    stops = {asyncio.ensure_future(c.stop_for_restart(reason)): c for c in connections}
    done, pending = await asyncio.wait(stops, timeout=grace)
    for stop in done:
        if not stop.cancelled() and stop.exception() is not None:
            logger.error("a demo connection failed to stop", exc_info=stop.exception())
    if pending:
        logger.error(
            "%d demo connections did not stop within %.0f s; their runs are dropped",
            len(pending), grace,
        )  # fmt: skip
        for stop in pending:
            stop.cancel()
    await asyncio.sleep(FLUSH_SECONDS)


async def before_daphne_stops() -> None:
    """Everything the process does before its connections are dropped, in order."""
    await stop_all()
    try:
        async with asyncio.timeout(GRACE_SECONDS):
            await run_writer.writer().drain()
    except TimeoutError:  # what is still queued is logged as the process exits
        logger.error("stored runs were still being written after %.0f s", GRACE_SECONDS)


def _hook_into_reactor() -> None:
    """Register ``before_daphne_stops`` with the reactor, once, under daphne."""
    global _hooked
    if _hooked:
        return
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or not getattr(reactor, "running", False):
        return  # not served by daphne (tests drive consumers directly)
    from twisted.internet.defer import Deferred

    def before_shutdown() -> Deferred:
        return Deferred.fromFuture(asyncio.ensure_future(before_daphne_stops()))

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
    _hooked = True
