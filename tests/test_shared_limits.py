"""The cap and the rate limit shared through Redis, against a real Redis.

Two instances of a limit stand for two processes: they share nothing but Redis.
"""

import asyncio
import time

import pytest
import redis

from live.limits import Unavailable
from live.shared_limits import PREFIX, RedisCapacityGate, RedisRateLimiter
from tests import services
from tests.servers import free_port

REDIS_DB = 11  # this file's own database, emptied before each test


@pytest.fixture(autouse=True)
def shared_redis(settings):
    url = services.redis_url(REDIS_DB)
    services.redis_flush(url)
    settings.REDIS_URL = url
    return url


def gate(capacity: int, lease_seconds: float = 15) -> RedisCapacityGate:
    return RedisCapacityGate(name="test", capacity=capacity, lease_seconds=lease_seconds)


async def test_the_rate_limit_counts_starts_made_through_every_process():
    first, second = (RedisRateLimiter(count=3, period=60) for _ in range(2))
    assert await first.admit("10.0.0.1") == 0
    assert await first.admit("10.0.0.1") == 0
    assert await second.admit("10.0.0.1") == 0
    wait = await second.admit("10.0.0.1")
    assert 59 < wait <= 60
    assert 59 < await first.admit("10.0.0.1") <= 60
    assert await first.admit("10.0.0.2") == 0  # per client


async def test_a_start_leaves_the_shared_window_after_the_period():
    limiter = RedisRateLimiter(count=1, period=0.3)
    assert await limiter.admit("c") == 0
    refused = await limiter.admit("c")
    assert 0 < refused <= 0.3
    await asyncio.sleep(refused + 0.02)
    assert await limiter.admit("c") == 0


async def until(condition, within: float = 5) -> None:
    """Wait for ``condition()`` to hold: waiters poll, so what they hear comes a little later."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        await asyncio.sleep(0.01)


async def test_the_cap_holds_across_processes_and_queues_in_arrival_order():
    a, b = gate(2), gate(2)
    await a.acquire(lambda p: None, "reader")
    await b.acquire(lambda p: None, "reader")
    heard: dict[str, list[int]] = {"a": [], "b": []}
    waiting_on_a = asyncio.create_task(a.acquire(heard["a"].append, "reader"))
    await until(lambda: heard["a"] == [1])
    waiting_on_b = asyncio.create_task(b.acquire(heard["b"].append, "reader"))
    await until(lambda: heard["b"] == [2])
    assert (a.running, a.waiting, b.running, b.waiting) == (1, 1, 1, 1)
    await b.release("reader")  # a place frees up on the other process: the first to come gets it
    await asyncio.wait_for(waiting_on_a, 5)
    await until(lambda: heard["b"] == [2, 1])
    assert not waiting_on_b.done()
    await a.release("reader")
    await asyncio.wait_for(waiting_on_b, 5)
    assert (a.running, b.running) == (1, 1)
    await a.release("reader")
    await b.release("reader")


async def test_a_waiter_that_gives_up_leaves_the_shared_queue():
    holder, a, b = gate(1), gate(1), gate(1)
    await holder.acquire(lambda p: None, "reader")
    quitter_heard: list[int] = []
    quitter = asyncio.create_task(a.acquire(quitter_heard.append, "reader"))
    await until(lambda: quitter_heard == [1])
    heard: list[int] = []
    patient = asyncio.create_task(b.acquire(heard.append, "reader"))
    await until(lambda: heard == [2])
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    await until(lambda: heard == [2, 1])
    assert a.waiting == 0
    await holder.release("reader")
    await asyncio.wait_for(patient, 5)
    await b.release("reader")


async def test_a_running_demo_keeps_its_place_past_the_lease_by_renewing_it():
    holder, other = gate(1, lease_seconds=2), gate(1, lease_seconds=2)
    await holder.acquire(lambda p: None, "reader")
    waiting = asyncio.create_task(other.acquire(lambda p: None, "reader"))
    await asyncio.sleep(4.5)  # more than twice the lease
    assert not waiting.done()
    await holder.release("reader")
    await asyncio.wait_for(waiting, 5)
    await other.release("reader")


async def test_the_places_of_a_process_that_died_come_back_when_their_leases_expire(shared_redis):
    # A process that died left a lease it no longer renews, due to end in 0.5 s.
    client = redis.Redis.from_url(shared_redis)
    now_ms = int(client.time()[0] * 1000 + client.time()[1] / 1000)
    client.zadd(f"{PREFIX}gate:test:holders", {"dead-host:123:lease": now_ms + 500})
    client.close()
    survivor = gate(1)
    heard: list[int] = []
    started = time.monotonic()
    await asyncio.wait_for(survivor.acquire(heard.append, "reader"), 3)
    assert heard == [1]
    assert 0.3 < time.monotonic() - started < 3
    await survivor.release("reader")


async def test_it_says_unavailable_at_once_when_redis_cannot_be_reached(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(Unavailable):
        await RedisRateLimiter(count=1, period=60).admit("c")
    with pytest.raises(Unavailable):
        await gate(1).acquire(lambda p: None, "reader")
    assert time.monotonic() - started < 2
