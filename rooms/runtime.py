"""Process-wide resources of rooms, made lazily from settings."""

from functools import cache

from django.conf import settings

from live.limits import StartLimit
from live.runtime import sliding_limit


@cache
def join_limiter() -> StartLimit:
    """Room joins per client address: shared by every process when Redis is."""
    return sliding_limit(settings.ROOM_JOIN_RATE_LIMIT)


def reset() -> None:
    join_limiter.cache_clear()
