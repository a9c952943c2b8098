"""The demo limits shared by every process through Redis (used when REDIS_URL is set).

The same protocols as live.limits (``Gate``, ``StartLimit``), so the consumer
does not know which it has.
Each check-and-change is one short Lua script, atomic across processes, and
time is the Redis server's clock, the same for every process.

Keys, all under ``demos:``:

- ``rate:<client>``: a sorted set of the client's start times (ms) in the window.
- ``gate:<name>:holders``: lease -> expiry (ms). A process renews the leases of
  its running demos every third of ``lease_seconds``; a process that dies stops
  renewing, and its places come back when the leases expire.
- ``gate:<name>:queue``: ticket -> arrival number, for first come, first served.
- ``gate:<name>:alive``: ticket -> expiry (ms), renewed by each poll of its
  waiter, so a dead process's waiters leave the queue too.

A waiter polls with one script call, more often the nearer it is to the front.
When Redis cannot be reached, calls raise ``Unavailable`` at once (short
timeouts, one retry for a connection that went stale) and work again as soon as
Redis is back: nothing needs a restart.
"""

import asyncio
import logging
import os
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from live.limits import Unavailable, worth_telling

logger = logging.getLogger(__name__)

PREFIX = "demos:"
# Connections one process opens to Redis for the limits, at most.
MAX_CONNECTIONS = 32
# A waiter at position p polls every p * POLL_SECONDS, at most every MAX_POLL_SECONDS.
POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0

# Lua's view of the Redis server's clock, in milliseconds.
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS: window. ARGV: count, period (ms), a unique member for this start.
# Returns 0 when the start is counted, else the milliseconds until one would be.
RATE_ADMIT = (
    _NOW
    + """
local count, period = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= count then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + period - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], period)
return 0
"""
)

# KEYS: holders, queue, alive, arrivals. ARGV: capacity, ttl (ms), ticket.
# Returns 0 when the ticket now holds a lease, else its position (1 is next).
GATE_ACQUIRE = (
    _NOW
    + """
local capacity, ttl, ticket = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[2], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if not redis.call('ZSCORE', KEYS[2], ticket) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ticket)
end
local ahead = redis.call('ZRANK', KEYS[2], ticket)
local free = math.max(0, capacity - redis.call('ZCARD', KEYS[1]))
if ahead < free then
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('ZREM', KEYS[3], ticket)
  redis.call('ZADD', KEYS[1], now + ttl, ticket)
  return 0
end
redis.call('ZADD', KEYS[3], now + ttl, ticket)
return ahead - free + 1
"""
)

# KEYS: holders. ARGV: ttl (ms), then the leases to renew. A lease that expired
# or was lost with a Redis restart is taken again: its demo is really running.
GATE_RENEW = (
    _NOW
    + """
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
end
return #ARGV - 1
"""
)

# KEYS: holders, queue, alive. ARGV: ticket. Whatever the ticket was, it is gone.
GATE_FORGET = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 0
"""


@dataclass
class _Connection:
    client: Redis
    scripts: dict[str, AsyncScript] = field(default_factory=dict)


# One client per event loop: redis.asyncio's connections belong to the loop that
# opened them. daphne has one loop; tests have one per test.
_connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Connection] = (
    weakref.WeakKeyDictionary()
)


def _connection() -> _Connection:
    loop = asyncio.get_running_loop()
    connection = _connections.get(loop)
    if connection is None:
        pool = BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=MAX_CONNECTIONS,
            timeout=settings.REDIS_COMMAND_TIMEOUT,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_COMMAND_TIMEOUT,
            # One retry on a fresh connection, for one that went stale when Redis
            # restarted; a Redis that is down fails at once.
            retry=Retry(NoBackoff(), 1),
        )
        connection = _Connection(Redis.from_pool(pool))
        _connections[loop] = connection
    return connection


async def _run(script: str, keys: list[str], args: list[Any]) -> int:
    connection = _connection()
    runner = connection.scripts.get(script)
    if runner is None:
        runner = connection.scripts[script] = connection.client.register_script(script)
    try:
        return int(await runner(keys=keys, args=args))
    except (RedisError, OSError) as error:
        raise Unavailable(f"Redis cannot be reached: {error}") from error


# A lease or ticket names its process, which helps when reading Redis by hand.
_PROCESS = f"{os.uname().nodename}:{os.getpid()}"


def _new_ticket() -> str:
    return f"{_PROCESS}:{uuid.uuid4().hex}"


class RedisRateLimiter:
    """A sliding window of ``count`` starts per ``period`` seconds per client, across processes."""

    def __init__(self, *, count: int, period: float, name: str = "rate") -> None:
        self.count = count
        self.period = period
        self.name = name  # one window per limit and client
        self._period_ms = round(period * 1000)

    def _key(self, client: str) -> str:
        return f"{PREFIX}{self.name}:{client}"

    async def admit(self, client: str) -> float:
        waited = await _run(
            RATE_ADMIT, [self._key(client)], [self.count, self._period_ms, uuid.uuid4().hex]
        )
        return waited / 1000


class RedisCapacityGate:
    """At most ``capacity`` holders across all processes; the others wait in arrival order.

    ``running`` and ``waiting`` count this process's holders and waiters.
    ``release()`` gives the place back in a task of its own, so that the place
    is given back even if its caller is cancelled while it waits (if Redis
    cannot be reached, the lease expires by itself).
    """

    def __init__(self, *, name: str, capacity: int, lease_seconds: float) -> None:
        self.name = name
        self.capacity = capacity
        self.lease_seconds = lease_seconds
        self._ttl_ms = round(lease_seconds * 1000)
        self._holders, self._queue, self._alive, self._arrivals = (
            f"{PREFIX}gate:{name}:{part}" for part in ("holders", "queue", "alive", "arrivals")
        )
        self._held: set[str] = set()
        self._waiting = 0
        self._renewer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        return len(self._held)

    @property
    def waiting(self) -> int:
        return self._waiting

    async def acquire(self, on_position: Callable[[int], None], client: str) -> None:
        # Across processes, places go in arrival order, whoever the client.
        ticket = _new_ticket()
        keys = [self._holders, self._queue, self._alive, self._arrivals]
        position = 0
        self._waiting += 1
        try:
            while answer := await _run(GATE_ACQUIRE, keys, [self.capacity, self._ttl_ms, ticket]):
                if answer != position:
                    if not position or worth_telling(answer):
                        on_position(answer)
                    position = answer
                await asyncio.sleep(min(MAX_POLL_SECONDS, POLL_SECONDS * position))
        except asyncio.CancelledError:
            # The lease may have been granted just as we gave up: drop whatever it is.
            await self._forget(ticket)
            raise
        finally:
            self._waiting -= 1
        self._held.add(ticket)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew())

    async def release(self, client: str) -> None:
        ticket = self._held.pop()
        if not self._held and self._renewer is not None:
            self._renewer.cancel()
        task = asyncio.get_running_loop().create_task(self._forget(ticket))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        await asyncio.shield(task)

    async def _forget(self, ticket: str) -> None:
        try:
            await _run(GATE_FORGET, [self._holders, self._queue, self._alive], [ticket])
        except Unavailable as error:
            logger.warning("could not give back a demo place (it expires by itself): %s", error)

    async def _renew(self) -> None:
        while self._held:
            await asyncio.sleep(self.lease_seconds / 3)
            if not self._held:
                return
            try:
                await _run(GATE_RENEW, [self._holders], [self._ttl_ms, *self._held])
            except Unavailable as error:
                logger.warning("could not renew %d demo leases: %s", len(self._held), error)
