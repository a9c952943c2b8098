"""What the product is measured against, served by the same daphne process.

- ``raw_hello``: a bare ASGI "hello", the ceiling of the server itself.
- ``StockDjangoHandler``: Django's own ASGI handler with the middleware list
  ``startproject`` writes, serving a plain async "hello" view.
- ``BareDemoConsumer``: the least a Channels consumer can do to send a reader
  the same messages as the sleep demo, for the same sleeps.

None of this is part of the product; ``bench/asgi.py`` routes to it.
"""

import asyncio
import json
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse

# The list `django-admin startproject` writes into a new project's settings.
DJANGO_DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

HELLO = b"Hello, world!\n"


async def raw_hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(HELLO)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": HELLO})


async def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(HELLO, content_type="text/plain; charset=utf-8")


class BenchDjangoHandler(ASGIHandler):
    """Django's ASGI handler resolving against ``bench.urls``, with a chosen middleware list.

    ``middleware=None`` keeps the product's own list, so the same "hello" can be
    served through either chain.
    """

    def __init__(self, middleware: list[str] | None = None) -> None:
        self._middleware = middleware
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        if self._middleware is None:
            super().load_middleware(is_async=is_async)
            return
        # load_middleware reads settings.MIDDLEWARE once, while it builds the
        # chain; the product's setting is put back at once.
        saved = settings.MIDDLEWARE
        settings.MIDDLEWARE = self._middleware
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = saved

    def create_request(self, scope, body_file):  # type: ignore[no-untyped-def]
        request, error = super().create_request(scope, body_file)
        if request is not None:
            request.urlconf = "bench.urls"
        return request, error


def _now(started: float) -> float:
    return round(time.perf_counter() - started, 4)


class BareDemoConsumer(AsyncWebsocketConsumer):
    """The sleep demo's messages with nothing else: no validation, limits, storage."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        request = json.loads(text_data or "{}")
        run_id = request["id"]
        params = request.get("params", {})
        tasks, seconds = int(params.get("tasks", 3)), float(params.get("seconds", 2.0))
        await self.send_json(
            {"type": "accepted", "id": run_id, "demo": "sleep", "mode": "async", "params": params}
        )
        started = time.perf_counter()

        async def one(index: int) -> None:
            await self.send_json(
                {"type": "task_started", "id": run_id, "task": index, "t": _now(started)}
            )
            await asyncio.sleep(seconds)
            await self.send_json(
                {"type": "output", "id": run_id, "task": index, "text": "Hello", "t": _now(started)}
            )
            await self.send_json(
                {
                    "type": "task_finished",
                    "id": run_id,
                    "task": index,
                    "t": _now(started),
                    "ok": True,
                }
            )

        await asyncio.gather(*(one(index) for index in range(tasks)))
        elapsed = _now(started)
        await self.send_json(
            {
                "type": "finished",
                "id": run_id,
                "elapsed": elapsed,
                "status": "ok",
                "summary": f"Program executed in {elapsed:.2f} seconds.",
            }
        )

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))
