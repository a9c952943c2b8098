"""Refuse, early and with the site's own pages, HTTP requests no page accepts.

- A query string longer than ``MAX_QUERY_STRING_BYTES``: 414. No page reads one
  that long, and refusing it up front keeps it out of logs and parsers. The few
  paths in ``LONG_QUERY_STRING_BYTES`` (search) have a limit of their own.
- A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``, declared or sent chunked
  (``BodyLimit`` counts what arrives and hands Django none of the excess): 413.
  Django would refuse a declared one only once a view reads the form, and a
  chunked one never; this answers for every URL at once. daphne still holds a
  whole body in memory before the site sees it: only the proxy in front
  (nginx's ``client_max_body_size``) bounds that; see docs/security.md.
- A 405 from a view: ``require_safe`` answers with an empty body, which a reader
  sees as a blank page; it gets the 405 page, keeping the ``Allow`` header.

In async mode the checks run inline on the event loop: no thread hop unless an
error page is rendered (rendering may load the user, a database query).
"""

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Set in the ASGI scope by BodyLimit when more body arrived than the limit.
BODY_OVER_LIMIT = "body_over_limit"


class BodyLimit:
    """ASGI middleware in front of Django: counts each request's body as it arrives.

    Past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` the rest is dropped rather than handed
    to Django, and the request is marked for ``RequestLimitsMiddleware``'s 413:
    a chunked body declares no length to refuse it by.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if scope["type"] != "http" or limit is None:
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[BODY_OVER_LIMIT] = True
                    message = {**message, "body": b""}
            return message

        await self.app(scope, counted, send)


def broken_limit(meta: dict, scope: dict | None = None) -> tuple[int, dict] | None:
    """The status and page context for a request that breaks a limit, or None."""
    query_limit = query_string_limit(meta.get("PATH_INFO", ""))
    if len(meta.get("QUERY_STRING", "")) > query_limit:
        return 414, {"limit": query_limit}
    declared = meta.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):
        return 400, {}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and (int(declared) > limit or (scope or {}).get(BODY_OVER_LIMIT)):
        return 413, {"limit": limit}
    return None


def query_string_limit(path: str) -> int:
    return settings.LONG_QUERY_STRING_BYTES.get(path, settings.MAX_QUERY_STRING_BYTES)


def error_page(request: HttpRequest, status: int, context: dict) -> HttpResponse:
    return render(request, f"{status}.html", context, status=status)


def _is_bare_405(response: HttpResponse) -> bool:
    return response.status_code == 405 and not getattr(response, "content", b"x")


def with_405_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    page = render(request, "405.html", {"allowed": response.get("Allow", "")}, status=405)
    page["Allow"] = response.get("Allow", "")
    return page


class RequestLimitsMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self.__acall__(request)
        if broken := broken_limit(request.META):
            return error_page(request, *broken)
        response = self.get_response(request)
        return with_405_page(request, response) if _is_bare_405(response) else response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if broken := broken_limit(request.META, getattr(request, "scope", None)):
            return await sync_to_async(error_page)(request, *broken)
        response = await self.get_response(request)
        if _is_bare_405(response):
            return await sync_to_async(with_405_page)(request, response)
        return response
