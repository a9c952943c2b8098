"""Runs on the event loop start a few per turn of the loop, not all in one.

A run's clock starts when its program does, and the tasks its program makes
start a turn of the loop later. When a thousand readers press "run" in the
same instant, their thousand programs would start in one turn, and every one
of them would wait for that whole turn, a thousand programs' worth of
starting, before its first task could: the crowd's starting would show up in
each reader's measured time. Started at most ``per_turn`` to a turn, a
program waits only for the few that start beside it; the others wait before
their clocks start, as they would in a queue. Nothing is faster overall: the
measured time of each program is its own, not the crowd's (the figures are
in docs/performance.md).
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field

from live.per_loop import PerLoop

# Programs whose clocks may start in one turn of the loop.
PER_TURN = 100


@dataclass
class StartPacer:
    """About ``per_turn`` calls of ``turn()`` go on in each turn, in the order they came.

    Those let through by a turn go on in the next one, so a turn in which the
    line empties can also take newcomers: at most twice ``per_turn``.
    """

    per_turn: int = PER_TURN
    _started: int = 0
    # Let through, not yet gone on: newcomers must not overtake them.
    _resuming: int = 0
    _ticking: bool = False
    _waiting: deque[asyncio.Future[None]] = field(default_factory=deque)

    async def turn(self) -> None:
        if self._started < self.per_turn and not self._waiting and not self._resuming:
            self._started += 1
            self._tick()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():
                self._resuming -= 1  # let through just as it was cancelled
            elif waiter in self._waiting:  # else the next turn has passed over it
                self._waiting.remove(waiter)
            raise
        self._resuming -= 1

    def _tick(self) -> None:
        if not self._ticking:
            self._ticking = True
            asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        # Called back once in every turn in which anything started: a new turn, a
        # new count, and the next few in line go on (in the turn after this one).
        self._ticking = False
        self._started = 0
        while self._waiting and self._started < self.per_turn:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._started += 1
                self._resuming += 1
        if self._started:
            self._tick()


_pacers = PerLoop(lambda loop: StartPacer())


def pacer() -> StartPacer:
    """The pacer of the running loop."""
    return _pacers.get()
