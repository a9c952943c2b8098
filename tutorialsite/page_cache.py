"""Reader pages, rendered once and served from memory to anonymous readers.

A page a reader sees without logging in is the same for every such reader, so
the response Django produced (body and headers, after every middleware) is
kept and replayed, in front of Django, without a thread hop or a query.

What may be cached is decided by the view, not guessed: ``reader_page`` marks
a response cacheable only when the user is anonymous. A response is stored
only if it is a 200 that sets no cookie and varies on nothing but the cookie,
and it is replayed only to requests that carry no cookie which could change
the page (session, messages, language). Staff and logged-in readers always go
through Django, so drafts, the draft banner and the admin link are never
cached. A page is kept once per scheme, host and path: a query string or the
port in the Host header, which reader pages ignore, does not make another copy.

Pages go stale by the rules of ``lessons.page_freshness``: at once when a
course or lesson is saved (in every process sharing the channel layer), within
a second when runs are stored, and after two seconds whatever happens. A
stale page that nobody edited here, at most four seconds old, is still
replayed, to the reader who found it stale as well: the fresh copy is
rendered behind them, for the readers who come next, so nobody waits for a
render that only brings the run statistics up to date. That render is made
with a request of its own, carrying the page's identity headers and no
cookie, and is given up after ``RENDER_BEHIND_SECONDS``. An edited page, or an
older one, waits for its render. A render that cannot be kept (an error, a
page gone, a time-out) drops the copy.

A fresh CSP nonce is put into each replayed page and its header.
"""

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage

from lessons import page_freshness
from lessons.page_freshness import SCOPE_KEY, Slot
from tutorialsite import hosts

logger = logging.getLogger(__name__)

MAX_PAGES = 512
# How old a kept page may be and still be served while its fresh render is on
# its way; beyond it, readers wait for the render like everyone else.
STALE_WHILE_RENDERING = 2 * page_freshness.MAX_AGE
# Past this, a render no reader waits for is given up, and the kept copy with it.
RENDER_BEHIND_SECONDS = 30.0

Scope = dict[str, Any]
# What a kept page depends on: scheme, host (without its port) and path.
Key = tuple[str, str, str]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Page:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    nonce: bytes | None
    content: int
    runs: int
    stored_at: float

    def is_fresh(self, now: float) -> bool:
        return page_freshness.is_fresh(self.content, self.runs, now - self.stored_at)


class PageCache:
    """ASGI middleware in front of Django's HTTP application."""

    def __init__(self, app: ASGIApp, max_pages: int = MAX_PAGES, listen: bool = True) -> None:
        self.app = app
        self.max_pages = max_pages
        # Whether to hear other processes' edits (when the channel layer is shared).
        self.listen = listen
        self.listener: asyncio.Task[None] | None = None
        self.pages: OrderedDict[Key, Page] = OrderedDict()
        self.rendering: dict[Key, asyncio.Future[Page | None]] = {}
        self.behind: set[asyncio.Task[None]] = set()  # renders no reader waits for

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.listen and self.listener is None:
            self._start_listening()
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        page = self.pages.get(key)
        now = time.monotonic()
        if page is not None and page.is_fresh(now):
            self.pages.move_to_end(key)
            await _replay(page, send)
            return
        if (
            page is not None
            and page_freshness.unedited(page.content)
            and now - page.stored_at < STALE_WHILE_RENDERING
        ):
            # Old but not edited: served at once, rendered again behind the reader,
            # so nobody waits for a render that only refreshes the run statistics.
            if key not in self.rendering:
                self._render_behind(key, scope)
            await _replay(page, send)
            return
        rendering = self.rendering.get(key)
        if rendering is not None:
            # Someone is rendering this page now: share their page rather than
            # render it twenty times at once.
            page = await asyncio.shield(rendering)
            if page is not None and page.is_fresh(time.monotonic()):
                await _replay(page, send)
                return
            await self.app(scope, receive, send)  # not storable after all: Django answers
            return
        rendering = self.rendering[key] = asyncio.get_running_loop().create_future()
        page = None
        try:
            page = await self._render(key, scope, receive, send)
        finally:
            self._rendered(key, rendering, page)

    def _render_behind(self, key: Key, scope: Scope) -> None:
        """Render the page again for the readers to come, answering nobody."""
        loop = asyncio.get_running_loop()
        rendering = self.rendering[key] = loop.create_future()

        # A request of its own: the reader's cookies could make the answer
        # unstorable (a fresh CSRF cookie) and so drop everyone's copy.
        identity = (b"host", hosts.proxy_scheme_header())
        headers = [(name, value) for name, value in scope["headers"] if name in identity]
        request = {**scope, "headers": headers, "query_string": b""}

        async def render() -> None:
            page = None
            try:
                # Nobody disconnects from this render to end it if it hangs.
                async with asyncio.timeout(RENDER_BEHIND_SECONDS):
                    page = await self._render(key, request, *_no_reader())
            except Exception:
                logger.exception("could not render %s again", scope.get("path"))
            finally:
                self._rendered(key, rendering, page)

        task = loop.create_task(render())
        self.behind.add(task)
        task.add_done_callback(self.behind.discard)

    def _rendered(
        self, key: Key, rendering: asyncio.Future[Page | None], page: Page | None
    ) -> None:
        del self.rendering[key]
        if page is None:
            # Not storable now (a 404 once unpublished elsewhere, a 500): the
            # kept copy must not be served to anyone any more.
            self.pages.pop(key, None)
        rendering.set_result(page)

    async def settle(self) -> None:
        """Wait for the pages being rendered behind readers to be kept."""
        # Only the ones not done: a gather of finished tasks completes without
        # yielding, so the loop would never run the callbacks that drop them.
        while pending := [task for task in self.behind if not task.done()]:
            await asyncio.wait(pending)

    async def _render(self, key: Key, scope: Scope, receive: Any, send: Any) -> Page | None:
        # Read before rendering: a change made while the page renders leaves it stale.
        content, runs = page_freshness.versions()
        slot = Slot()
        start: dict[str, Any] = {}
        body: list[bytes] = []
        complete = False

        async def capture(message: dict[str, Any]) -> None:
            nonlocal complete
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app({**scope, SCOPE_KEY: slot}, receive, capture)
        if not (slot.cacheable and complete and _storable(start)):
            return None
        nonce = str(slot.nonce).encode() if slot.nonce else None
        page = self.pages[key] = Page(
            status=start["status"],
            headers=list(start.get("headers", [])),
            body=b"".join(body),
            nonce=nonce,
            content=content,
            runs=runs,
            stored_at=time.monotonic(),
        )
        self.pages.move_to_end(key)
        while len(self.pages) > self.max_pages:
            self.pages.popitem(last=False)
        return page

    def _start_listening(self) -> None:
        # daphne has no start-up hook: the first request starts it, on the server's loop.
        layer = page_freshness.shared_layer()
        if layer is None:
            self.listen = False
            return
        self.listener = asyncio.get_running_loop().create_task(
            page_freshness.hear_other_processes(layer)
        )

    def _key(self, scope: Scope) -> Key | None:
        """The page's identity, or None when this request must go to Django.

        A reader page depends on its path, the data and the reader, never on
        the query string or the port in the Host header: requests that differ
        only there share one kept page, so they can neither bypass the cache
        nor push real pages out of it.
        """
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if len(scope.get("query_string", b"")) > settings.MAX_QUERY_STRING_BYTES:
            return None  # refused by tutorialsite.http_guard
        host = proxy_scheme = None
        proxy_header = hosts.proxy_scheme_header()
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value
            elif name == proxy_header:
                proxy_scheme = value
            elif name in _BODY_HEADERS or (name == b"cookie" and _changes_the_page(value)):
                return None  # Django decides: a GET with a body, a reader with a session
        domain = hosts.allowed_domain(host)
        if domain is None:
            return None  # Django answers a missing or disallowed host
        scheme = "https" if hosts.is_secure(scope, proxy_scheme) else "http"
        return (scheme, domain, scope["path"])


_BODY_HEADERS = (b"content-length", b"transfer-encoding")


def _cookie_names() -> tuple[bytes, ...]:
    names = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name, settings.LANGUAGE_COOKIE_NAME)
    return tuple(f"{name}=".encode() for name in names)


def _changes_the_page(cookie_header: bytes) -> bool:
    # A plain substring test: a false match only costs a trip through Django.
    return any(name in cookie_header for name in _cookie_names())


def _storable(start: dict[str, Any]) -> bool:
    if start.get("status") != 200:
        return False
    for name, value in start.get("headers", []):
        lowered = name.lower()
        if lowered == b"set-cookie":
            return False
        if lowered == b"vary" and {v.strip().lower() for v in value.split(b",")} - {b"cookie"}:
            return False
    return True


def _no_reader() -> tuple[Callable[[], Awaitable[dict[str, Any]]], ASGISend]:
    """``receive`` and ``send`` for a render nobody waits for.

    The request is an empty GET, and there is never a disconnect to hear:
    Django stops listening once its response is sent. The response goes
    nowhere; the page is kept from what ``_render`` captures.
    """
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()  # until Django cancels it
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        pass

    return receive, send


async def _replay(page: Page, send: Any) -> None:
    headers, body = page.headers, page.body
    if page.nonce is not None:
        fresh = secrets.token_urlsafe(16).encode()
        body = body.replace(page.nonce, fresh)
        headers = [(name, value.replace(page.nonce, fresh)) for name, value in headers]
        headers = [
            (name, str(len(body)).encode() if name.lower() == b"content-length" else value)
            for name, value in headers
        ]
    await send({"type": "http.response.start", "status": page.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
