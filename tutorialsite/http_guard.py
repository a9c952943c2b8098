"""Refuse, early and with the site's own pages, HTTP requests no page accepts.

- A query string longer than ``MAX_QUERY_STRING_BYTES``: 414. No page reads one
  that long, and refusing it up front keeps it out of logs and parsers.
- A declared body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413. Django would
  refuse it anyway, but only once a view reads the form; this answers for every
  URL at once. (Bodies are bounded before they arrive by the proxy in front; see
  docs/security.md.)
- A 405 from a view: ``require_safe`` answers with an empty body, which a reader
  sees as a blank page; it gets the 405 page, keeping the ``Allow`` header.

In async mode the checks run inline on the event loop: no thread hop unless an
error page is rendered (rendering may load the user, a database query).
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def broken_limit(meta: dict) -> tuple[int, dict] | None:
    """The status and page context for a request that breaks a limit, or None."""
    if len(meta.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_BYTES:
        return 414, {"limit": settings.MAX_QUERY_STRING_BYTES}
    declared = meta.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):
        return 400, {}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and int(declared) > limit:
        return 413, {"limit": limit}
    return None


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
        if broken := broken_limit(request.META):
            return await sync_to_async(error_page)(request, *broken)
        response = await self.get_response(request)
        if _is_bare_405(response):
            return await sync_to_async(with_405_page)(request, response)
        return response
