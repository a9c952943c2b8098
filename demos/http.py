"""HTTP plumbing the weather demo shares: the service's address and one session per loop.

The site tells this module where the weather service is (``configure``, from
its settings); the module itself knows nothing of Django.
"""

import asyncio
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from demos.params import CITY_PATTERN


@dataclass(frozen=True)
class WeatherService:
    url: str
    timeout: float


_service: WeatherService | None = None
_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def configure(*, url: str, timeout: float) -> None:
    """Where the weather demo asks, and how long it waits for each answer."""
    global _service
    _service = WeatherService(url=url, timeout=timeout)


def _configured() -> WeatherService:
    if _service is None:
        raise RuntimeError("the weather service is not configured (demos.http.configure)")
    return _service


def weather_url(city: str) -> str:
    """The service URL for ``city``; the city can only ever be one path segment."""
    if not CITY_PATTERN.fullmatch(city):
        raise ValueError(f"not a city name: {city[:50]!r}")
    return _configured().url.rstrip("/") + "/" + quote(city, safe="")


def request_timeout() -> float:
    return _configured().timeout


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
