"""Limits on running demos: a cap that queues in order, and a rate limit.

``Gate`` and ``StartLimit`` say what the consumer may ask of each. The classes
here are the in-process versions, for one process; live.shared_limits has
versions that hold across processes through Redis. live.runtime picks one or
the other, and the consumer does not know which it has.
"""

import asyncio
import ipaddress
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol


class Gate(Protocol):
    """At most ``capacity`` runs hold a place at once; the others wait their turn."""

    capacity: int

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...

    async def acquire(self, on_position: Callable[[int], None], client: str) -> None:
        """Wait for a place for one of ``client``'s runs (``client_key``).

        ``on_position`` hears the place in the queue (1 is next).
        """

    async def release(self, client: str) -> None:
        """Give back a place ``client`` held; when this returns, others may take it."""


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
    told: int = 0  # the position it last heard


@dataclass
class CapacityGate:
    """At most ``capacity`` holders at once, at most ``per_client`` of them one client's.

    Waiters are served round-robin between clients, first come, first served
    within each, so a client's pile of runs waits behind its own runs, not in
    front of everyone else's; a client holding its share waits for one of its
    own to end. Waiters hear their position (1 is next, counting as if every
    client could be served) when they join, then as it changes (``worth_telling``).
    """

    capacity: int
    per_client: int | None = None
    running: int = 0
    _held: Counter[str] = field(default_factory=Counter)
    # Each waiting client's line, in the order the clients are served in turn.
    _lines: OrderedDict[str, deque[_Waiter]] = field(default_factory=OrderedDict)

    @property
    def waiting(self) -> int:
        return sum(len(line) for line in self._lines.values())

    async def acquire(self, on_position: Callable[[int], None], client: str) -> None:
        # Whenever a place is free, nobody who may take it is waiting (_serve
        # hands places out at once), so a client within its share goes first.
        if self.running < self.capacity and self._within_share(client):
            self._take(client)
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position)
        self._lines.setdefault(client, deque()).append(waiter)
        self._tell_positions()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self._give_back(client)  # the place was handed over just as we gave up
            else:
                self._leave_line(client, waiter)
            raise

    async def release(self, client: str) -> None:
        self._give_back(client)

    def _leave_line(self, client: str, waiter: _Waiter) -> None:
        line = self._lines.get(client)
        if line is not None and waiter in line:  # _serve may have passed over it already
            line.remove(waiter)
            if not line:
                del self._lines[client]
            self._tell_positions()

    def _within_share(self, client: str) -> bool:
        return self.per_client is None or self._held[client] < self.per_client

    def _take(self, client: str) -> None:
        self.running += 1
        self._held[client] += 1

    def _give_back(self, client: str) -> None:
        self.running -= 1
        self._held[client] -= 1
        if not self._held[client]:
            del self._held[client]
        self._serve()
        self._tell_positions()

    def _serve(self) -> None:
        """Hand free places to the next clients in turn that are within their share."""
        while self.running < self.capacity:
            client = next((c for c in self._lines if self._within_share(c)), None)
            if client is None:
                return  # every waiting client holds its share
            line = self._lines[client]
            waiter = line.popleft()
            if line:
                self._lines.move_to_end(client)  # its next run waits for the others' turns
            else:
                del self._lines[client]
            if waiter.future.done():
                continue  # cancelled, and not yet out of the line
            self._take(client)
            waiter.future.set_result(None)

    def _tell_positions(self) -> None:
        for position, waiter in enumerate(self._in_turn(), start=1):
            # A newcomer always hears where it stands; then only the round steps.
            if position != waiter.told and (not waiter.told or worth_telling(position)):
                waiter.told = position
                waiter.on_position(position)

    def _in_turn(self) -> Iterator[_Waiter]:
        """Every waiter, in the order they would be served if no client held its share."""
        lines = [iter(line) for line in self._lines.values()]
        while lines:
            still = []
            for line in lines:
                waiter = next(line, None)
                if waiter is not None:
                    yield waiter
                    still.append(line)
            lines = still


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
