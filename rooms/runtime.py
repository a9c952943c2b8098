"""Process-wide resources of rooms, made lazily from settings."""

from functools import cache

from django.conf import settings

from live.limits import RateLimiter, StartLimit
from live.shared_limits import RedisRateLimiter


@cache
def join_limiter() -> StartLimit:
    """Room joins per client address: shared by every process when Redis is."""
    count, period = settings.ROOM_JOIN_RATE_LIMIT
    if settings.REDIS_URL:
        return RedisRateLimiter(count=count, period=period)
    return RateLimiter(count=count, period=period)


def reset() -> None:
    join_limiter.cache_clear()
