"""The capacity gate (waits in order) and the rate limiter (sliding window)."""

import asyncio

import pytest

from live.limits import CapacityGate, RateLimiter, client_key


async def test_the_gate_admits_up_to_its_capacity_then_queues_in_order():
    gate = CapacityGate(capacity=2)
    positions: dict[str, list[int]] = {"c": [], "d": []}
    await gate.acquire(lambda p: None)
    await gate.acquire(lambda p: None)
    third = asyncio.create_task(gate.acquire(positions["c"].append))
    fourth = asyncio.create_task(gate.acquire(positions["d"].append))
    await asyncio.sleep(0)
    assert (gate.running, gate.waiting) == (2, 2)
    gate.release()
    await third
    assert not fourth.done()
    assert positions == {"c": [1], "d": [2, 1]}
    gate.release()
    await fourth
    assert (gate.running, gate.waiting) == (2, 0)


async def test_a_waiter_that_gives_up_leaves_the_queue_and_others_move_up():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None)
    heard: list[int] = []
    quitter = asyncio.create_task(gate.acquire(lambda p: None))
    patient = asyncio.create_task(gate.acquire(heard.append))
    await asyncio.sleep(0)
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert heard == [2, 1]
    gate.release()
    await patient
    assert (gate.running, gate.waiting) == (1, 0)


def test_the_rate_limiter_allows_count_per_period_per_client():
    limiter = RateLimiter(count=2, period=60)
    assert limiter.allow("a", now=0)
    assert limiter.allow("a", now=1)
    assert not limiter.allow("a", now=2)
    assert limiter.allow("b", now=2)
    assert limiter.retry_after("a", now=2) == pytest.approx(58)
    assert limiter.allow("a", now=60.5)  # the first start has left the window


def test_the_rate_limiter_forgets_idle_clients():
    limiter = RateLimiter(count=1, period=10)
    for client in range(1000):
        limiter.allow(str(client), now=0)
    limiter.allow("late", now=100)
    assert list(limiter._starts) == ["late"]


async def test_a_long_queue_tells_far_waiters_only_round_positions():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None)
    heard: list[int] = []
    waiters = [asyncio.create_task(gate.acquire(lambda p: None)) for _ in range(149)]
    last = asyncio.create_task(gate.acquire(heard.append))
    await asyncio.sleep(0)
    for _ in range(150):
        gate.release()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters, last)
    assert heard == [150, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_readers_are_counted_by_address_and_ipv6_hosts_by_their_64(address, key):
    assert client_key(address) == key


def test_addresses_of_one_ipv6_64_share_one_budget():
    limiter = RateLimiter(count=2, period=60)
    addresses = ["2001:db8::1", "2001:db8::2", "2001:db8::3"]

    allowed = [limiter.allow(client_key(a), now=100.0) for a in addresses]

    assert allowed == [True, True, False]
