"""Only the site's own pages may open its websockets: same scheme, host and port.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host alone,
so a page on another port of the same host (``http://127.0.0.1:9999``) could
open the demo socket with a staff reader's cookies. Here the Origin must be
the very origin the socket was opened on, as Django's CSRF check requires of
a form: the request's Host (which ``ALLOWED_HOSTS`` must accept) with the
scheme it came over, or one of ``CSRF_TRUSTED_ORIGINS``. Where HTTPS is
enforced (``SECURE_SSL_REDIRECT``), a socket opened over plain ``ws://`` is
refused too.
"""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.utils.http import is_same_domain

from tutorialsite import hosts

DEFAULT_PORTS = {"http": 80, "https": 443}


class SameOriginValidator:
    """ASGI middleware in front of the websocket router."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


def same_origin(scope: dict[str, Any]) -> bool:
    origin = host = proxy_scheme = None
    proxy_header = hosts.proxy_scheme_header()
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"host":
            host = value
        elif name == proxy_header:
            proxy_scheme = value
    if not origin or hosts.allowed_domain(host) is None:
        return False
    secure = hosts.is_secure(scope, proxy_scheme)
    if settings.SECURE_SSL_REDIRECT and not secure:
        return False
    own = f"{'https' if secure else 'http'}://{host.decode('latin-1')}"
    return _origin(origin) == _origin(own) or any(
        _trusted(origin, trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS
    )


def _origin(url: str) -> tuple[str, str, int] | None:
    """Scheme, host and port, the port filled in from the scheme; None if malformed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _trusted(origin: str, trusted: str) -> bool:
    """Django's CSRF rule: the exact origin, or ``https://*.example.org`` for subdomains."""
    if origin == trusted:
        return True
    if "*" not in trusted:
        return False
    try:
        found = urlsplit(origin)
    except ValueError:
        return False
    scheme, _, netloc = trusted.partition("://")
    return found.scheme == scheme and is_same_domain(found.netloc, netloc.lstrip("*"))
