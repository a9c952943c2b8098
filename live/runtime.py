"""Process-wide resources for running demos, made lazily from settings.

One bounded thread pool for sync variants, the gates that cap running demos,
and the rate limiter. With REDIS_URL set, the cap on running demos and the rate
limit are shared by every process (live.shared_limits); the thread gate stays
per process, like the pool it guards. ``reset()`` drops them (tests change the
settings).
"""

from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings

from lessons.preview import PreviewUnavailable
from live.limits import (
    CapacityGate,
    Gate,
    RateLimiter,
    SocketCounter,
    StartLimit,
    Unavailable,
)
from live.shared_limits import RedisCapacityGate, RedisRateLimiter


@cache
def sync_executor() -> ThreadPoolExecutor:
    # Never the single thread sync_to_async uses by default: a time.sleep there
    # would stall every socket of the process.
    return ThreadPoolExecutor(max_workers=settings.DEMO_SYNC_WORKERS, thread_name_prefix="demo")


@cache
def running_gate() -> Gate:
    """All running demos: of this process, or of every process when Redis is shared."""
    if settings.REDIS_URL:
        return RedisCapacityGate(
            name="running",
            capacity=settings.DEMO_MAX_RUNNING,
            lease_seconds=settings.DEMO_LEASE_SECONDS,
        )
    return CapacityGate(capacity=settings.DEMO_MAX_RUNNING)


@cache
def thread_gate() -> CapacityGate:
    """Demos that hold a pool thread: as many as there are threads, so none waits unseen.

    One client holds at most DEMO_THREADS_PER_CLIENT of them, so however many
    long sync runs one reader asks for, the others' runs find threads free.
    """
    return CapacityGate(
        capacity=settings.DEMO_SYNC_WORKERS, per_client=settings.DEMO_THREADS_PER_CLIENT
    )


@cache
def sandbox_gate() -> CapacityGate:
    """Readers' own programs this process has sandboxes running for (sandbox/).

    A runner takes no more than it has slots for; this keeps one site process
    from filling the runners' queue, and its readers hear their place in line.
    One client holds at most two of them, so one reader's programs cannot
    take every sandbox of a process.
    """
    return CapacityGate(
        capacity=settings.DEMO_SANDBOXES, per_client=min(2, settings.DEMO_SANDBOXES)
    )


def sliding_limit(rate: tuple[int, float], name: str = "rate") -> StartLimit:
    """A sliding-window limit of ``rate`` (count, period): in this process, or in
    Redis under ``name`` and shared by every process when ``REDIS_URL`` is set."""
    count, period = rate
    if settings.REDIS_URL:
        return RedisRateLimiter(count=count, period=period, name=name)
    return RateLimiter(count=count, period=period)


@cache
def rate_limiter() -> StartLimit:
    return sliding_limit(settings.DEMO_RATE_LIMIT)


@cache
def share_limiter() -> StartLimit:
    """Runs one client may share: tighter than runs, as a shared run is kept longer."""
    return sliding_limit(settings.DEMO_SHARE_RATE_LIMIT, "share")


@cache
def preview_limiter() -> StartLimit:
    """Lesson previews per staff member (lessons.preview)."""
    return sliding_limit(settings.LESSON_PREVIEW_RATE_LIMIT, "preview")


async def admit_preview(key: str) -> float:
    try:
        return await preview_limiter().admit(key)
    except Unavailable as error:
        raise PreviewUnavailable(str(error)) from None


@cache
def socket_counter() -> SocketCounter:
    """Demo sockets open per client address, in this process."""
    return SocketCounter(per_client=settings.DEMO_SOCKETS_PER_CLIENT)


def reset() -> None:
    if sync_executor.cache_info().currsize:
        sync_executor().shutdown(wait=False, cancel_futures=True)
    for made in (sync_executor, running_gate, thread_gate, sandbox_gate, rate_limiter,
                 share_limiter, preview_limiter, socket_counter):  # fmt: skip
        made.cache_clear()
