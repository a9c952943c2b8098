"""Limits on running demos: a cap that queues in order, and a rate limit.

``Gate`` and ``StartLimit`` say what the consumer may ask of each. The classes
here are the in-process versions, for one process; live.shared_limits has
versions that hold across processes through Redis. live.runtime picks one or
the other, and the consumer does not know which it has.
"""

import asyncio
import ipaddress
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Gate(Protocol):
    """At most ``capacity`` runs hold a place at once; the others wait their turn."""

    capacity: int

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...

    async def acquire(self, on_position: Callable[[int], None]) -> None:
        """Wait for a place; ``on_position`` hears the place in the queue (1 is next)."""

    async def release(self) -> None:
        """Give a place back; when this returns, others may take it."""


class StartLimit(Protocol):
    """How many runs one client may start in a while."""

    async def admit(self, client: str) -> float:
        """Count a start: 0 when ``client`` may start, else the seconds until it may."""


class Unavailable(Exception):
    """The shared state behind a limit (Redis) cannot be reached right now."""


def client_key(address: str) -> str:
    """Whom a reader's runs are counted against: their address, or its /64 for IPv6.

    One IPv6 host is usually given a whole /64 and can pick any address in it,
    so counting each address alone would give it billions of budgets. An
    IPv4-mapped address counts as the IPv4 address; anything else that is not
    an IP address (a unix socket's peer) is kept as it is.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def worth_telling(position: int) -> bool:
    """Whether a waiter hears that it moved to ``position``.

    Every step among the last ten, then every tenth, then every hundredth: a
    reader far back still sees the queue move, and a long queue costs about
    n log n messages instead of n squared (every release moves everyone up).
    """
    if position <= 10:
        return True
    if position <= 100:
        return position % 10 == 0
    return position % 100 == 0


@dataclass
class _Waiter:
    future: asyncio.Future[None]
    on_position: Callable[[int], None]


@dataclass
class CapacityGate:
    """At most ``capacity`` holders at once; the others wait first come, first served.

    Waiters hear their position (1 is next) when they join, then as it changes
    (see ``worth_telling``).
    """

    capacity: int
    running: int = 0
    _waiters: deque[_Waiter] = field(default_factory=deque)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, on_position: Callable[[int], None]) -> None:
        if self.running < self.capacity and not self._waiters:
            self.running += 1
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position)
        self._waiters.append(waiter)
        on_position(len(self._waiters))
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self._give_back()  # the slot was handed over just as we gave up
            else:
                self._waiters.remove(waiter)
                self._tell_positions()
            raise

    async def release(self) -> None:
        self._give_back()

    def _give_back(self) -> None:
        self.running -= 1
        while self._waiters and self.running < self.capacity:
            waiter = self._waiters.popleft()
            if waiter.future.done():
                continue
            self.running += 1
            waiter.future.set_result(None)
        self._tell_positions()

    def _tell_positions(self) -> None:
        for position, waiter in enumerate(self._waiters, start=1):
            if worth_telling(position):
                waiter.on_position(position)


@dataclass
class RateLimiter:
    """A sliding window: at most ``count`` starts per ``period`` seconds per client."""

    count: int
    period: float
    clock: Callable[[], float] = time.monotonic
    _starts: dict[str, deque[float]] = field(default_factory=dict)
    _last_sweep: float = 0.0

    async def admit(self, client: str) -> float:
        now = self.clock()
        self._sweep(now)
        starts = self._starts.setdefault(client, deque())
        while starts and starts[0] <= now - self.period:
            starts.popleft()
        if len(starts) >= self.count:
            return max(starts[0] + self.period - now, 0.001)
        starts.append(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        # Forget idle clients now and then, so memory stays bounded by active ones.
        if now - self._last_sweep < self.period:
            return
        self._last_sweep = now
        for client in [c for c, s in self._starts.items() if not s or s[-1] <= now - self.period]:
            del self._starts[client]


@dataclass
class SocketCounter:
    """Open demo sockets per client (``client_key``) in this process, at most ``per_client``.

    One address holding thousands of idle sockets would take the memory and
    file descriptors every other reader needs; a household or an office
    behind one address still gets plenty. Per process: nginx's
    ``limit_conn`` caps the whole site (deploy/nginx.conf).
    """

    per_client: int
    open: dict[str, int] = field(default_factory=dict)

    def admit(self, key: str) -> bool:
        count = self.open.get(key, 0)
        if count >= self.per_client:
            return False
        self.open[key] = count + 1
        return True

    def release(self, key: str) -> None:
        count = self.open.get(key, 0) - 1
        if count > 0:
            self.open[key] = count
        else:
            self.open.pop(key, None)
