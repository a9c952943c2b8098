"""HTTP plumbing the weather demo shares: the service URL and one session per loop."""

import asyncio
from urllib.parse import quote

import aiohttp
from django.conf import settings

from lessons.demos.params import CITY_PATTERN

_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def weather_url(city: str) -> str:
    """The service URL for ``city``; the city can only ever be one path segment."""
    if not CITY_PATTERN.match(city):
        raise ValueError(f"not a city name: {city[:50]!r}")
    return settings.WEATHER_API_URL.rstrip("/") + "/" + quote(city, safe="")


def request_timeout() -> float:
    return settings.WEATHER_TIMEOUT


def shared_session() -> aiohttp.ClientSession:
    """One ClientSession per event loop, made lazily inside it (daphne has no startup hook).

    The connector's limit is explicit: aiohttp's default of 100 connections
    would quietly queue the requests of many readers' runs behind each other.
    """
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for stale in [other for other in _sessions if other.is_closed()]:
            del _sessions[stale]
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1000, limit_per_host=1000),
            timeout=aiohttp.ClientTimeout(total=request_timeout()),
        )
        _sessions[loop] = session
    return session


async def close_shared_session() -> None:
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()
