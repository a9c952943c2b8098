"""An aiohttp application that imitates prevision-meteo.ch for the ``weather`` demo.

``GET /services/json/<city>`` answers with the same JSON shape as the real service::

    {"city_info": {"name": "Paris", "country": "France", "sunrise": "07:58", ...},
     "current_condition": {"date": "27.11.2026", "hour": "14:00", "tmp": 11, ...}}

Everything about a city (temperature, wind, humidity, condition, response latency) is
derived from a CRC-32 of its lower-cased name, so the same city always gets the same
answer, in every process. Each answer arrives after ``latency_for(city)`` seconds
(between 0.3 and 1.2) multiplied by the application's ``latency_scale``.

City names must match ``^[A-Za-z0-9-]{1,40}$``; anything else is answered at once with
400 and ``{"errors": [{"code": "400", "text": "..."}]}``.

Fault cities (names are case-insensitive) let tests and readers ask for failures:

``fail-500``
    After the city's normal latency: HTTP 500, short ``text/plain`` body.
``fail-404``
    After the city's normal latency: HTTP 404 with a JSON ``errors`` body.
``fail-timeout``
    Waits ``SLOW_SECONDS`` (30 s, not scaled) and then answers normally, so any client
    with a sensible timeout gives up first.
``fail-hang``
    Accepts the request and never answers. The handler ends as soon as the client
    disconnects or the simulator shuts down.
``fail-json``
    After the city's normal latency: 200, ``application/json``, malformed body.
``fail-truncated``
    After the city's normal latency: 200 whose ``Content-Length`` promises the whole
    document, but only part of it is sent before the connection is closed. Clients see
    a payload error while reading the body.
``fail-missing``
    After the city's normal latency: 200 with valid JSON lacking ``current_condition.tmp``.
``fail-slow``
    A normal answer after ``FAIL_SLOW_SECONDS`` (2.5 s) times ``latency_scale`` instead
    of the city's latency: slow, but within a generous timeout.

``GET /health`` answers ``ok`` immediately.

Paging through the cities: ``GET /cities?page=N&per_page=M`` lists the cities the
simulator knows by name (``KNOWN_CITIES``, in a fixed order), ``M`` to a page (1 to
``MAX_PER_PAGE``, ``PER_PAGE`` by default), after ``PAGE_LATENCY`` (0.4 s) times
``latency_scale``, whatever the page::

    {"page": 2, "pages": 5, "per_page": 3,
     "cities": [{"city": "toulouse", "name": "Toulouse", "country": "France", "tmp": 12}, ...],
     "next": "/cities?page=3&per_page=3"}

``next`` is the path of the following page, ``null`` on the last one. ``page`` is 1 by
default. A ``page`` or ``per_page`` that is not a whole number of at most nine digits,
or is below 1, and a ``per_page`` above ``MAX_PER_PAGE``, is answered at once with 400;
a page past the last with 404; both with a JSON ``errors`` body.

Counting a run's requests: a client may send ``X-Run: <id>`` (8 to 64 lower-case hex
digits, e.g. from ``secrets.token_hex``) with its weather requests. The simulator then
counts that run's requests, and how many of them it was serving at the same moment:
``GET /runs/<id>`` answers ``{"requests": n, "most_at_once": m}`` (404 for an id it does
not know). A request counts from the moment its handler starts until the handler
returns, which for every answer but ``fail-truncated`` is before a byte of it is sent:
the figure is the server's own view of the client's concurrency. Runs are kept apart
by their ids, so readers sharing one simulator never see each other's figures. Memory
stays bounded: a run is forgotten ``RUN_TTL_SECONDS`` after its last request, and beyond
``MAX_RUNS`` runs the least recently used is dropped.
A missing or malformed ``X-Run`` header is ignored; weather answers never change.

Any waiting (latency, ``fail-timeout``, ``fail-hang``) stops early when the simulator
shuts down; the pending request then gets 503, so shutdown is never held up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

CITY_PATTERN = re.compile(r"\A[A-Za-z0-9-]{1,40}\Z")
MIN_LATENCY = 0.3
MAX_LATENCY = 1.2
MIN_TEMPERATURE = -5
MAX_TEMPERATURE = 32
SLOW_SECONDS = 30.0
FAIL_SLOW_SECONDS = 2.5
# How often a long wait checks whether its client is still connected.
DISCONNECT_POLL_SECONDS = 0.05
# Counting a run's requests (X-Run): which ids, for how long, and how many runs at most.
RUN_HEADER = "X-Run"
RUN_ID_PATTERN = re.compile(r"\A[0-9a-f]{8,64}\Z")
RUN_TTL_SECONDS = 600.0
MAX_RUNS = 1000
# Paging through the known cities (GET /cities).
PAGE_LATENCY = 0.4
PER_PAGE = 3
MAX_PER_PAGE = 20
PAGE_NUMBER_PATTERN = re.compile(r"\A[0-9]{1,9}\Z")

FAULT_CITIES: dict[str, str] = {
    "fail-500": "HTTP 500 with a short text body, after the normal latency.",
    "fail-404": "HTTP 404 with a JSON errors body, after the normal latency.",
    "fail-timeout": f"Answers normally, but only after {SLOW_SECONDS:g} s (not scaled).",
    "fail-hang": "Never answers; ends when the client disconnects or the server stops.",
    "fail-json": "HTTP 200, application/json, malformed JSON body, after the normal latency.",
    "fail-truncated": (
        "HTTP 200 whose body is cut short of its Content-Length, then the connection "
        "closes; after the normal latency."
    ),
    "fail-missing": "HTTP 200, valid JSON without current_condition.tmp, after the normal latency.",
    "fail-slow": f"A normal answer after {FAIL_SLOW_SECONDS:g} s x latency_scale.",
}

KNOWN_CITIES: dict[str, tuple[str, str]] = {
    "paris": ("Paris", "France"),
    "lyon": ("Lyon", "France"),
    "marseille": ("Marseille", "France"),
    "toulouse": ("Toulouse", "France"),
    "bordeaux": ("Bordeaux", "France"),
    "lille": ("Lille", "France"),
    "nantes": ("Nantes", "France"),
    "strasbourg": ("Strasbourg", "France"),
    "nice": ("Nice", "France"),
    "geneve": ("Genève", "Suisse"),
    "lausanne": ("Lausanne", "Suisse"),
    "zurich": ("Zurich", "Suisse"),
    "bruxelles": ("Bruxelles", "Belgique"),
    "montreal": ("Montréal", "Canada"),
}
UNKNOWN_COUNTRY = "--"

CONDITIONS: tuple[tuple[str, str], ...] = (
    ("Ensoleillé", "ensoleille"),
    ("Ciel voilé", "ciel-voile"),
    ("Faiblement nuageux", "faiblement-nuageux"),
    ("Eclaircies", "eclaircies"),
    ("Fortement nuageux", "fortement-nuageux"),
    ("Brouillard", "brouillard"),
    ("Averses de pluie faible", "averses-de-pluie-faible"),
    ("Pluie modérée", "pluie-moderee"),
)
FREEZING_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("Ensoleillé", "ensoleille"),
    ("Brouillard", "brouillard"),
    ("Neige faible", "neige-faible"),
    ("Averses de neige faible", "averses-de-neige-faible"),
)
WIND_DIRECTIONS = ("N", "NE", "E", "SE", "S", "SO", "O", "NO")

STOPPING = web.AppKey("stopping", asyncio.Event)
LATENCY_SCALE = web.AppKey("latency_scale", float)

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


@dataclass
class RunCount:
    """One run's requests: how many in all, in flight now, and at most at once."""

    requests: int = 0
    in_flight: int = 0
    most_at_once: int = 0
    last_seen: float = 0.0


class RunCounter:
    """Requests in flight per run id, with a bounded memory.

    Not thread-safe: it lives on the simulator's event loop. A run dropped while its
    requests are in flight is simply counted no more; those requests end harmlessly.
    """

    def __init__(
        self,
        *,
        max_runs: int = MAX_RUNS,
        ttl: float = RUN_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_runs < 1 or not ttl > 0:
            raise ValueError("max_runs must be at least 1 and ttl more than 0")
        self.max_runs = max_runs
        self.ttl = ttl
        self._clock = clock
        # Least recently used first.
        self._runs: OrderedDict[str, RunCount] = OrderedDict()

    def __len__(self) -> int:
        return len(self._runs)

    def _forget_expired(self, now: float) -> None:
        while self._runs:
            run_id, count = next(iter(self._runs.items()))
            if now - count.last_seen < self.ttl:
                break
            del self._runs[run_id]

    def start(self, run_id: str) -> RunCount:
        """Count one more request of ``run_id`` in flight; pass the result to ``finish``."""
        now = self._clock()
        self._forget_expired(now)
        count = self._runs.pop(run_id, None) or RunCount()
        while len(self._runs) >= self.max_runs:
            self._runs.popitem(last=False)
        self._runs[run_id] = count
        count.requests += 1
        count.in_flight += 1
        count.most_at_once = max(count.most_at_once, count.in_flight)
        count.last_seen = now
        return count

    def finish(self, count: RunCount) -> None:
        count.in_flight -= 1
        count.last_seen = self._clock()

    def get(self, run_id: str) -> RunCount | None:
        self._forget_expired(self._clock())
        return self._runs.get(run_id)


RUNS = web.AppKey("runs", RunCounter)


def run_id_of(request: web.Request) -> str | None:
    """The request's run id, or None when the X-Run header is absent or malformed."""
    run_id = request.headers.get(RUN_HEADER)
    if run_id is None or RUN_ID_PATTERN.fullmatch(run_id) is None:
        return None
    return run_id


class _ClientGone(Exception):
    """The client disconnected while the simulator was still waiting."""


def _stable_number(city: str, aspect: str) -> int:
    # zlib.crc32 rather than hash(): str hashes are salted per process.
    return zlib.crc32(f"{aspect}:{city.lower()}".encode())


def _pick(city: str, aspect: str, low: int, high: int) -> int:
    """A deterministic integer in ``[low, high]`` for this city and aspect."""
    return low + _stable_number(city, aspect) % (high - low + 1)


def is_valid_city(city: str) -> bool:
    # \Z and fullmatch: "$" would also accept a trailing newline.
    return CITY_PATTERN.fullmatch(city) is not None


def latency_for(city: str) -> float:
    """Unscaled response latency for ``city``, in seconds, within [0.3, 1.2]."""
    millis = _pick(city, "latency", round(MIN_LATENCY * 1000), round(MAX_LATENCY * 1000))
    return millis / 1000


def temperature_for(city: str) -> int:
    """Current temperature for ``city`` in °C, within [-5, 32]."""
    return _pick(city, "tmp", MIN_TEMPERATURE, MAX_TEMPERATURE)


def city_info(city: str) -> dict[str, Any]:
    name, country = KNOWN_CITIES.get(
        city.lower(), ("-".join(part.capitalize() for part in city.split("-")), UNKNOWN_COUNTRY)
    )
    return {
        "name": name,
        "country": country,
        "sunrise": f"0{_pick(city, 'sunrise-h', 6, 8)}:{_pick(city, 'sunrise-m', 0, 59):02d}",
        "sunset": f"{_pick(city, 'sunset-h', 16, 21)}:{_pick(city, 'sunset-m', 0, 59):02d}",
    }


def current_condition(city: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now()
    temperature = temperature_for(city)
    conditions = FREEZING_CONDITIONS if temperature <= 0 else CONDITIONS
    label, key = conditions[_pick(city, "condition", 0, len(conditions) - 1)]
    wind_speed = _pick(city, "wnd_spd", 0, 40)
    return {
        "date": now.strftime("%d.%m.%Y"),
        "hour": now.strftime("%H:00"),
        "tmp": temperature,
        "wnd_spd": wind_speed,
        "wnd_gust": wind_speed + _pick(city, "wnd_gust", 0, 25),
        "wnd_dir": WIND_DIRECTIONS[_pick(city, "wnd_dir", 0, len(WIND_DIRECTIONS) - 1)],
        "pressure": _pick(city, "pressure", 9950, 10350) / 10,
        "humidity": _pick(city, "humidity", 30, 95),
        "condition": label,
        "condition_key": key,
    }


def weather_report(city: str, now: datetime | None = None) -> dict[str, Any]:
    """The full JSON document the simulator serves for a (non-fault) city."""
    return {"city_info": city_info(city), "current_condition": current_condition(city, now)}


def _errors_body(code: int, text: str) -> dict[str, Any]:
    return {"errors": [{"code": str(code), "text": text}]}


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _pause(request: web.Request, seconds: float | None) -> None:
    """Wait ``seconds`` (forever if None), giving up early if the client leaves or we stop.

    aiohttp does not cancel handlers when a client disconnects (unless the server was
    started with ``handler_cancellation=True``) and a GET has no body stream to notice
    it on, so long waits poll the transport.
    """
    stopping = request.app[STOPPING]
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    while True:
        if stopping.is_set():
            raise web.HTTPServiceUnavailable(text="weather simulator is shutting down")
        if _client_gone(request):
            raise _ClientGone
        step = DISCONNECT_POLL_SECONDS
        if deadline is not None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            step = min(step, remaining)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), step)


async def _normal_latency(request: web.Request, city: str) -> None:
    await _pause(request, latency_for(city) * request.app[LATENCY_SCALE])


def _report_response(city: str) -> web.Response:
    return web.json_response(weather_report(city))


async def _normal(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    return _report_response(city)


async def _fail_500(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    return web.Response(status=500, text="simulated internal server error")


async def _fail_404(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    return web.json_response(_errors_body(404, "simulated fault: city not found"), status=404)


async def _fail_timeout(request: web.Request, city: str) -> web.StreamResponse:
    await _pause(request, SLOW_SECONDS)
    return _report_response(city)


async def _fail_hang(request: web.Request, city: str) -> web.StreamResponse:
    await _pause(request, None)
    raise RuntimeError("an endless pause returned; it should only end by raising")


async def _fail_json(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    return web.Response(text='{"current_condition": {"tmp": 1', content_type="application/json")


async def _fail_truncated(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    body = json.dumps(weather_report(city)).encode()
    response = web.StreamResponse()
    response.content_type = "application/json"
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    if request.transport is not None:
        # close() flushes what was written, so the client gets a short body, then EOF.
        request.transport.close()
    return response


async def _fail_missing(request: web.Request, city: str) -> web.StreamResponse:
    await _normal_latency(request, city)
    report = weather_report(city)
    del report["current_condition"]["tmp"]
    return web.json_response(report)


async def _fail_slow(request: web.Request, city: str) -> web.StreamResponse:
    await _pause(request, FAIL_SLOW_SECONDS * request.app[LATENCY_SCALE])
    return _report_response(city)


FAULT_HANDLERS: dict[str, Handler] = {
    "fail-500": _fail_500,
    "fail-404": _fail_404,
    "fail-timeout": _fail_timeout,
    "fail-hang": _fail_hang,
    "fail-json": _fail_json,
    "fail-truncated": _fail_truncated,
    "fail-missing": _fail_missing,
    "fail-slow": _fail_slow,
}


async def _respond(request: web.Request, city: str) -> web.StreamResponse:
    if not is_valid_city(city):
        text = "invalid city name: expected 1 to 40 ASCII letters, digits or hyphens"
        return web.json_response(_errors_body(400, text), status=400)
    handler = FAULT_HANDLERS.get(city.lower(), _normal)
    return await handler(request, city)


async def _answer(
    respond: Awaitable[web.StreamResponse], finished: Callable[[int | str], None]
) -> web.StreamResponse:
    """``respond``'s answer; ``finished`` hears its status (or how it ended) before
    aiohttp sends it, so the client cannot have it yet."""
    status: int | str = "error"
    try:
        response = await respond
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except _ClientGone:
        status = "client-gone"
        # Nobody is listening any more; aiohttp ignores the failed write quietly.
        return web.Response(status=499, text="client closed request")
    finally:
        finished(status)


async def handle_weather(request: web.Request) -> web.StreamResponse:
    city = request.match_info["city"]
    started = time.perf_counter()
    run_id = run_id_of(request)
    counted = request.app[RUNS].start(run_id) if run_id is not None else None

    def finished(status: int | str) -> None:
        if counted is not None:
            request.app[RUNS].finish(counted)
        logger.info("city=%r status=%s latency=%.3fs", city, status, time.perf_counter() - started)

    return await _answer(_respond(request, city), finished)


async def handle_run(request: web.Request) -> web.StreamResponse:
    run_id = request.match_info["run_id"]
    if RUN_ID_PATTERN.fullmatch(run_id) is None:
        text = "invalid run id: expected 8 to 64 lower-case hexadecimal digits"
        return web.json_response(_errors_body(400, text), status=400)
    count = request.app[RUNS].get(run_id)
    if count is None:
        text = "no requests from this run, or it was forgotten"
        return web.json_response(_errors_body(404, text), status=404)
    return web.json_response({"requests": count.requests, "most_at_once": count.most_at_once})


class _BadPageQuery(Exception):
    """A page query parameter the listing cannot use; the text says why."""


def _page_number(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if PAGE_NUMBER_PATTERN.fullmatch(raw) is None or int(raw) < 1:
        raise _BadPageQuery(f"{name} must be a whole number from 1, of at most nine digits")
    return int(raw)


def page_count(per_page: int) -> int:
    """How many pages the known cities fill, ``per_page`` to a page."""
    return -(-len(KNOWN_CITIES) // per_page)  # rounded up


def city_page(page: int, per_page: int) -> dict[str, Any] | None:
    """Page ``page`` of the known cities, ``per_page`` to a page; None past the last."""
    names = list(KNOWN_CITIES)
    pages = page_count(per_page)
    if page > pages:
        return None
    cities = []
    for city in names[(page - 1) * per_page : page * per_page]:
        name, country = KNOWN_CITIES[city]
        cities.append(
            {"city": city, "name": name, "country": country, "tmp": temperature_for(city)}
        )
    following = f"/cities?page={page + 1}&per_page={per_page}" if page < pages else None
    return {"page": page, "pages": pages, "per_page": per_page, "cities": cities, "next": following}


async def _respond_page(request: web.Request) -> web.StreamResponse:
    try:
        page = _page_number(request, "page", 1)
        per_page = _page_number(request, "per_page", PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise _BadPageQuery(f"per_page must be from 1 to {MAX_PER_PAGE}")
    except _BadPageQuery as exc:
        return web.json_response(_errors_body(400, str(exc)), status=400)
    body = city_page(page, per_page)
    if body is None:
        text = f"no page {page}: there are {page_count(per_page)} pages of {per_page} cities"
        return web.json_response(_errors_body(404, text), status=404)
    await _pause(request, PAGE_LATENCY * request.app[LATENCY_SCALE])
    return web.json_response(body)


async def handle_cities(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()

    def finished(status: int | str) -> None:
        logger.info(
            "cities query=%r status=%s latency=%.3fs",
            request.query_string[:100],
            status,
            time.perf_counter() - started,
        )

    return await _answer(_respond_page(request), finished)


async def handle_health(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


async def _release_waiters(app: web.Application) -> None:
    app[STOPPING].set()


def make_app(*, latency_scale: float = 1.0, runs: RunCounter | None = None) -> web.Application:
    """Build the simulator. ``latency_scale`` multiplies every per-city latency; ``runs``
    counts the requests of runs that name themselves (X-Run), a fresh counter by default."""
    if not latency_scale >= 0:  # also rejects NaN
        raise ValueError(f"latency_scale must be >= 0, got {latency_scale!r}")
    app = web.Application()
    app[LATENCY_SCALE] = float(latency_scale)
    app[RUNS] = runs if runs is not None else RunCounter()
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_release_waiters)
    app.router.add_get("/services/json/{city}", handle_weather)
    app.router.add_get("/runs/{run_id}", handle_run)
    app.router.add_get("/cities", handle_cities)
    app.router.add_get("/health", handle_health)
    return app
