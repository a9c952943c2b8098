"""What Django would make of a request's host and scheme, for the layers in front of it.

The page cache and the websocket origin check look at requests before Django
does (or without it), and must agree with it: the Host header's domain only if
``ALLOWED_HOSTS`` accepts it, and HTTPS as ``request.is_secure()`` sees it,
through ``SECURE_PROXY_SSL_HEADER`` behind a TLS proxy.
"""

from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host


def allowed_domain(host: bytes | None) -> str | None:
    """The Host header's domain, without its port, if Django would accept it."""
    if not host:
        return None
    domain, _port = split_domain_port(host.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as Django's get_host
    return domain if domain and validate_host(domain, allowed) else None


def proxy_scheme_header() -> bytes | None:
    """The header a TLS proxy sets (SECURE_PROXY_SSL_HEADER), as it arrives in ASGI."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    meta_name, _ = settings.SECURE_PROXY_SSL_HEADER
    return meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")


def is_secure(scope: dict[str, Any], proxy_scheme: bytes | None) -> bool:
    """Whether the request came over TLS, as Django's request.is_secure() decides.

    ``proxy_scheme`` is the value of ``proxy_scheme_header()``, if the request had it.
    """
    if settings.SECURE_PROXY_SSL_HEADER and proxy_scheme is not None:
        first = proxy_scheme.decode("latin-1").split(",", 1)[0].strip()
        return first == settings.SECURE_PROXY_SSL_HEADER[1]
    return scope.get("scheme") in ("https", "wss")
