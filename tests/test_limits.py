"""The capacity gate (waits in order) and the rate limiter (sliding window)."""

import asyncio
import inspect

import pytest

from live.limits import CapacityGate, Gate, RateLimiter, StartLimit, client_key
from live.shared_limits import RedisCapacityGate, RedisRateLimiter


async def test_the_gate_admits_up_to_its_capacity_then_queues_in_order():
    gate = CapacityGate(capacity=2)
    positions: dict[str, list[int]] = {"c": [], "d": []}
    await gate.acquire(lambda p: None, "reader")
    await gate.acquire(lambda p: None, "reader")
    third = asyncio.create_task(gate.acquire(positions["c"].append, "reader"))
    fourth = asyncio.create_task(gate.acquire(positions["d"].append, "reader"))
    await asyncio.sleep(0)
    assert (gate.running, gate.waiting) == (2, 2)
    await gate.release("reader")
    await third
    assert not fourth.done()
    assert positions == {"c": [1], "d": [2, 1]}
    await gate.release("reader")
    await fourth
    assert (gate.running, gate.waiting) == (2, 0)


async def test_a_waiter_that_gives_up_leaves_the_queue_and_others_move_up():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None, "reader")
    heard: list[int] = []
    quitter = asyncio.create_task(gate.acquire(lambda p: None, "reader"))
    patient = asyncio.create_task(gate.acquire(heard.append, "reader"))
    await asyncio.sleep(0)
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert heard == [2, 1]
    await gate.release("reader")
    await patient
    assert (gate.running, gate.waiting) == (1, 0)


async def test_waiting_readers_are_served_in_turn_not_in_order_of_arrival():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None, "holder")
    served: list[str] = []

    async def wait(client: str, run: int) -> None:
        await gate.acquire(lambda p: None, client)
        served.append(f"{client}{run}")

    # One reader asks for three runs before two others ask for one each.
    waits = [asyncio.create_task(wait("a", n)) for n in range(3)]
    await asyncio.sleep(0)
    waits += [asyncio.create_task(wait(c, 0)) for c in ("b", "c")]
    await asyncio.sleep(0)
    for client in ["holder", "a", "b", "c", "a"]:
        await gate.release(client)
        await asyncio.sleep(0)
    await asyncio.gather(*waits)

    assert served == ["a0", "b0", "c0", "a1", "a2"]


async def test_a_reader_holding_its_share_waits_while_others_go_first():
    gate = CapacityGate(capacity=3, per_client=2)
    await gate.acquire(lambda p: None, "greedy")
    await gate.acquire(lambda p: None, "greedy")
    heard: list[int] = []
    third = asyncio.create_task(gate.acquire(heard.append, "greedy"))
    await asyncio.sleep(0)

    # A place is free, but not for the reader who holds its share: another takes it.
    assert not third.done()
    await asyncio.wait_for(gate.acquire(lambda p: None, "other"), 1)
    assert (gate.running, gate.waiting) == (3, 1)
    await gate.release("other")
    await asyncio.sleep(0)
    assert not third.done()  # still its share: it waits for one of its own
    await gate.release("greedy")
    await asyncio.wait_for(third, 1)
    assert heard == [1]


async def test_a_newcomer_is_told_its_turn_comes_before_a_long_line_of_another_reader():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None, "holder")
    heard: dict[str, list[int]] = {"a": [], "b": []}
    waits = [asyncio.create_task(gate.acquire(heard["a"].append, "a")) for _ in range(3)]
    await asyncio.sleep(0)
    waits.append(asyncio.create_task(gate.acquire(heard["b"].append, "b")))
    await asyncio.sleep(0)

    # b comes after a's first run and before its second: a's later runs move back.
    assert heard["b"] == [2]
    assert heard["a"] == [1, 2, 3, 3, 4]
    for task in waits:
        task.cancel()
    await asyncio.gather(*waits, return_exceptions=True)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_rate_limiter_allows_count_per_period_per_client():
    clock = Clock()
    limiter = RateLimiter(count=2, period=60, clock=clock)
    assert await limiter.admit("a") == 0
    clock.now = 1
    assert await limiter.admit("a") == 0
    clock.now = 2
    assert await limiter.admit("a") == pytest.approx(58)  # refused: wait for the first to leave
    assert await limiter.admit("b") == 0
    clock.now = 60.5
    assert await limiter.admit("a") == 0  # the first start has left the window


async def test_the_rate_limiter_forgets_idle_clients():
    clock = Clock()
    limiter = RateLimiter(count=1, period=10, clock=clock)
    for client in range(1000):
        await limiter.admit(str(client))
    clock.now = 100
    await limiter.admit("late")
    assert list(limiter._starts) == ["late"]


async def test_a_long_queue_tells_far_waiters_only_round_positions():
    gate = CapacityGate(capacity=1)
    await gate.acquire(lambda p: None, "reader")
    heard: list[int] = []
    waiters = [asyncio.create_task(gate.acquire(lambda p: None, "reader")) for _ in range(149)]
    last = asyncio.create_task(gate.acquire(heard.append, "reader"))
    await asyncio.sleep(0)
    for _ in range(150):
        await gate.release("reader")
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


async def test_addresses_of_one_ipv6_64_share_one_budget():
    limiter = RateLimiter(count=2, period=60)
    addresses = ["2001:db8::1", "2001:db8::2", "2001:db8::3"]

    allowed = [await limiter.admit(client_key(a)) == 0 for a in addresses]

    assert allowed == [True, True, False]


def _members(protocol: type) -> list[str]:
    return [name for name in vars(protocol) if not name.startswith("_")]


@pytest.mark.parametrize(
    ("protocol", "versions"),
    [(Gate, (CapacityGate, RedisCapacityGate)), (StartLimit, (RateLimiter, RedisRateLimiter))],
    ids=["gate", "start limit"],
)
def test_both_versions_of_a_limit_answer_the_consumer_alike(protocol, versions):
    # The consumer cannot tell which it has: the same methods, async alike, same arguments.
    for member in _members(protocol):
        wanted = getattr(protocol, member)
        for version in versions:
            found = getattr(version, member, None)
            assert found is not None, f"{version.__name__} has no {member}"
            if isinstance(wanted, property) or not callable(wanted):
                continue
            assert inspect.iscoroutinefunction(found) == inspect.iscoroutinefunction(wanted)
            assert inspect.signature(found).parameters.keys() == (
                inspect.signature(wanted).parameters.keys()
            ), f"{version.__name__}.{member}"
