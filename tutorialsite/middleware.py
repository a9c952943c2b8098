"""Django's middleware, run on the event loop when it does no blocking I/O.

Django's ``MiddlewareMixin`` serves async requests by calling each hook
(``process_request``, ``process_view``, ``process_response``) through
``sync_to_async``: a hop to another thread and back, about a dozen per request
with the usual middleware list, whether or not the hook could block. Most
hooks only read headers and set attributes, so the classes here call the very
same hooks inline and keep the thread hop for the cases that can touch the
database or a file. Each class subclasses Django's, so its behaviour is
Django's by construction; only where it runs changes.

In sync mode (WSGI, Django's test ``Client``) they are Django's classes as-is.
"""

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse
from django.middleware import clickjacking, common, csp, csrf, security
from whitenoise import middleware as whitenoise

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class InlineHooks:
    """Mixed in before a ``MiddlewareMixin`` class: call its hooks on the loop.

    A subclass says when a hook may block by overriding the ``*_blocks``
    predicates; the hook then runs in a thread exactly as Django would run it.
    """

    async_mode: bool
    get_response: Any

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)  # type: ignore[call-arg]
        if self.async_mode and hasattr(self, "process_view"):
            # load_middleware wraps a plain function in sync_to_async; an
            # instance attribute holding a coroutine function is used as is.
            self.process_view = self._process_view_inline

    def request_blocks(self, request: HttpRequest) -> bool:
        return False

    def view_blocks(self, request: HttpRequest) -> bool:
        return False

    def response_blocks(self, request: HttpRequest, response: HttpResponse) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = None
        if hasattr(self, "process_request"):
            response = await _run(self.request_blocks(request), self.process_request, request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            blocks = self.response_blocks(request, response)
            response = await _run(blocks, self.process_response, request, response)
        return response

    async def _process_view_inline(
        self, request: HttpRequest, callback: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        hook = super().process_view  # type: ignore[misc]
        return await _run(self.view_blocks(request), hook, request, callback, args, kwargs)


async def _run(blocks: bool, hook: Any, *args: Any) -> Any:
    if blocks:
        return await sync_to_async(hook, thread_sensitive=True)(*args)
    return hook(*args)


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    """Headers and the HTTPS redirect: settings and request headers only."""


class ContentSecurityPolicyMiddleware(InlineHooks, csp.ContentSecurityPolicyMiddleware):
    """A lazy nonce and a header built from settings."""


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    """Redirects for slashes and ``www``: URL resolving, in memory."""


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    """One header."""


class AuthenticationMiddleware(InlineHooks, auth.AuthenticationMiddleware):
    """Sets lazy ``request.user`` and ``request.auser``; the user is loaded only when read."""


class SessionMiddleware(InlineHooks, sessions.SessionMiddleware):
    """A lazy session store per request; saving it is the one step that blocks."""

    def response_blocks(self, request: HttpRequest, response: HttpResponse) -> bool:
        # process_response writes the session (and reads its expiry, which may
        # load it) only when it was modified or every request is saved.
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    """Cookie checks inline; reading a form body or a session-held secret in a thread."""

    def request_blocks(self, request: HttpRequest) -> bool:
        return settings.CSRF_USE_SESSIONS

    def view_blocks(self, request: HttpRequest) -> bool:
        # An unsafe method reads request.POST (a spooled body, maybe on disk)
        # and a rejection renders the failure view.
        return settings.CSRF_USE_SESSIONS or request.method not in SAFE_METHODS

    def response_blocks(self, request: HttpRequest, response: HttpResponse) -> bool:
        return settings.CSRF_USE_SESSIONS


class MessageMiddleware(InlineHooks, messages.MessageMiddleware):
    """Storage is created lazily; storing messages may load them from the session."""

    def response_blocks(self, request: HttpRequest, response: HttpResponse) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is not None and bool(
            getattr(storage, "used", True) or getattr(storage, "added_new", True)
        )


class WhiteNoiseMiddleware(whitenoise.WhiteNoiseMiddleware):
    """WhiteNoise, async: no thread at all for a request it cannot answer.

    WhiteNoise's middleware is sync only, so in an async stack Django runs it,
    and everything below it, through a thread and back on every request. Here a
    request outside its URL prefixes goes straight on; a static file is looked
    up (which may stat the disk when autorefresh is on) and opened in a thread.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, settings: Any = settings) -> None:
        super().__init__(get_response, settings=settings)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    def _may_serve(self, path: str) -> bool:
        if not self.autorefresh:
            return path in self.files  # the files were all found at start-up
        # With autorefresh, WhiteNoise looks on disk, but only under these.
        prefixes = (self.static_prefix, *(prefix for _root, prefix in self.directories))
        return path.startswith(prefixes)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if self._may_serve(request.path_info):
            response = await sync_to_async(self._serve_if_found, thread_sensitive=False)(request)
            if response is not None:
                return response
        return await self.get_response(request)

    def _serve_if_found(self, request: HttpRequest) -> HttpResponse | None:
        if self.autorefresh:
            static_file = self.find_file(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        return None if static_file is None else self.serve(static_file, request)
