"""Unknown, malformed, oversized and wrong-method requests: a clean 4xx page, never a 500.

Most cases go through Django's async stack in process. The last tests send raw
bytes to a real daphne running with production settings, because daphne
(Twisted) has limits of its own that answer before Django does.
"""

import logging
import os
import secrets
import socket
import subprocess
import sys

import pytest
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.views.defaults import server_error

from tests.servers import ROOT, running_site

pytestmark = pytest.mark.django_db(transaction=True)

READER_PAGES = ["/", "/courses/basics/", "/courses/basics/intro/", "/demos/catalog.json"]

# Markers of each page of ours (templates/4xx.html).
NOT_FOUND_PAGE = "There is no page here"
METHOD_PAGE = "This page can only be read"
TOO_LONG_PAGE = "This address is too long"
TOO_LARGE_PAGE = "Too much data was sent"
BAD_REQUEST_PAGE = "This request could not be understood"
CSRF_PAGE = "The form was refused"


def assert_error_page(response, status: int, marker: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert marker in page
    assert 'class="page error-page"' in page
    return page


# ---------------------------------------------------------------------------
# Unknown and malformed addresses

NOT_FOUND = [
    "/nope/",
    "/courses/nowhere/",
    "/courses/basics/nowhere/",
    "/courses/basics/work-in-progress/",  # a draft, to an anonymous reader
    "/courses/basics/intro/extra/",
    "/demos/catalog.json/extra",
    "/%ff%fe/",  # percent-encoded bytes that are not UTF-8
    "/courses/%00/",
    "/courses/%E2%28%A1/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "/courses/<script>alert(1)</script>/",
    "/courses/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
    "/" + "a" * 10_000,
    "/courses/" + "%41" * 3000 + "/",
]


@pytest.mark.parametrize("url", NOT_FOUND, ids=lambda url: url[:40])
async def test_an_unknown_or_malformed_address_gets_the_404_page(async_client, lessons, url):
    page = assert_error_page(await async_client.get(url), 404, NOT_FOUND_PAGE)
    assert "<script>alert" not in page  # the address is never echoed into the page


async def test_a_host_not_allowed_gets_the_400_page(async_client):
    response = await async_client.get("/", headers={"host": "evil.example"})
    assert_error_page(response, 400, BAD_REQUEST_PAGE)


async def test_a_host_not_allowed_is_logged_once_in_a_line_at_warning(async_client, settings):
    settings.DEBUG = True  # where Django's own console handler would log it a second time
    seen: dict[str, list[logging.LogRecord]] = {}
    loggers = ["django.security.DisallowedHost", "django", ""]
    handlers = {}
    for name in loggers:
        handlers[name] = logging.Handler()
        handlers[name].emit = seen.setdefault(name, []).append
        logging.getLogger(name).addHandler(handlers[name])
    try:
        await async_client.get("/", headers={"host": "evil.example"})
    finally:
        for name in loggers:
            logging.getLogger(name).removeHandler(handlers[name])

    [record] = seen["django.security.DisallowedHost"]
    assert (record.levelname, record.exc_info, record.exc_text) == ("WARNING", None, None)
    assert "evil.example" in record.getMessage()
    assert not [r for r in seen["django"] + seen[""] if r.name.startswith("django.security")]


# ---------------------------------------------------------------------------
# Oversized requests


@pytest.mark.parametrize("url", ["/", "/courses/basics/intro/"])
async def test_a_100_kb_query_string_gets_the_414_page(async_client, lessons, url):
    response = await async_client.get(url + "?q=" + "x" * 100_000)
    page = assert_error_page(response, 414, TOO_LONG_PAGE)
    assert "x" * 100 not in page


async def test_a_query_string_at_the_limit_is_served(async_client, lessons, settings):
    limit = settings.MAX_QUERY_STRING_BYTES
    assert (await async_client.get("/?q=" + "x" * (limit - 2))).status_code == 200
    assert (await async_client.get("/?q=" + "x" * (limit - 1))).status_code == 414


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_body_over_the_limit_gets_the_413_page(async_client, settings, method):
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = await async_client.generic(method, "/", body, content_type="text/plain")
    assert_error_page(response, 413, TOO_LARGE_PAGE)


async def test_a_chunked_body_over_the_limit_gets_the_413_page(settings):
    from tutorialsite.asgi import application

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    chunk = b"x" * (limit // 2)
    headers = [(b"host", b"127.0.0.1"), (b"transfer-encoding", b"chunked")]
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": headers, "http_version": "1.1", "scheme": "http"}  # fmt: skip
    request = ApplicationCommunicator(application, scope)
    for _ in range(3):  # as daphne hands a chunked body on: no length, several messages
        await request.send_input({"type": "http.request", "body": chunk, "more_body": True})
    await request.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await request.receive_output(timeout=10)
    body = (await request.receive_output(timeout=10))["body"]

    assert start["status"] == 413
    assert TOO_LARGE_PAGE.encode() in body


async def test_a_malformed_content_length_gets_the_400_page(async_client):
    response = await async_client.generic("POST", "/", b"abc", headers={"content-length": "abc"})
    assert_error_page(response, 400, BAD_REQUEST_PAGE)


# ---------------------------------------------------------------------------
# Methods


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
@pytest.mark.parametrize("url", READER_PAGES)
async def test_a_reader_page_refuses_other_methods_with_the_405_page(
    async_client, lessons, url, method
):
    response = await async_client.generic(method, url, b"a=1", content_type="text/plain")
    assert_error_page(response, 405, METHOD_PAGE)
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("url", READER_PAGES)
async def test_head_is_answered_without_a_body(async_client, lessons, url):
    response = await async_client.head(url)
    assert response.status_code == 200
    assert response.content == b""


def test_a_form_without_its_csrf_token_gets_the_403_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert_error_page(response, 403, CSRF_PAGE)


# ---------------------------------------------------------------------------
# The 500 page itself: shown when something broke, so it must not break too


def crashing_view(request) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("crash/", crashing_view)]


def test_a_crash_gets_the_self_contained_500_page(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/crash/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something broke on the server" in page
    assert "a bug" not in page
    assert "{%" not in page
    assert "{{" not in page


def test_the_500_page_renders_without_any_request_context():
    # Django renders it with an empty context: no request, no user, no static tag.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something broke on the server" in response.content


# ---------------------------------------------------------------------------
# A real daphne with production settings


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        # Plain HTTP on localhost: the HTTPS redirect would answer everything.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    with running_site(tmp, **env) as site:
        yield site


def raw_request(site, data: bytes) -> tuple[int | None, bytes]:
    """Send raw bytes; return the status (None when closed unanswered) and the body."""
    port = int(site.url.rsplit(":", 1)[1])
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server closed on us while we were still sending
    if not received:
        return None, b""
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def get(target: bytes, method: bytes = b"GET", extra: bytes = b"", body: bytes = b"") -> bytes:
    return (
        method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + extra + b"\r\n" + body
    )  # fmt: skip


# Three chunks of 1 MiB, then the last (empty) chunk: no length is declared.
CHUNKED = b"".join(b"100000\r\n" + b"x" * 0x100000 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
# 20 headers of 900 bytes: each line short, 18 KB in all.
MANY_HEADERS = b"".join(b"X-H%d: %s\r\n" % (n, b"h" * 900) for n in range(20))

DAPHNE_CASES = {
    # name: (request bytes, expected status, marker of our page or None for daphne's own)
    "unknown": (get(b"/nope/"), 404, NOT_FOUND_PAGE),
    "bad-utf8": (get(b"/%ff%fe/"), 404, NOT_FOUND_PAGE),
    "raw-bytes": (get(b"/\xff\xfe/"), 400, None),
    "long-path": (get(b"/" + b"a" * 12_000), 404, NOT_FOUND_PAGE),
    "10kb-query": (get(b"/?q=" + b"x" * 10_000), 414, TOO_LONG_PAGE),
    "post": (get(b"/", b"POST", b"Content-Length: 3\r\n", b"a=1"), 403, CSRF_PAGE),
    "delete": (get(b"/courses/asyncio/", b"DELETE"), 403, CSRF_PAGE),
    "3mb-body": (
        get(b"/", b"POST", b"Content-Length: 3000000\r\n", b"x" * 3_000_000),
        413,
        TOO_LARGE_PAGE,
    ),
    "3mb-chunked-body": (
        get(b"/", b"POST", b"Transfer-Encoding: chunked\r\n", CHUNKED),
        413,
        TOO_LARGE_PAGE,
    ),
    "bad-length": (get(b"/", b"POST", b"Content-Length: abc\r\n"), 400, None),
    "headers-over-16kb": (get(b"/", extra=MANY_HEADERS), 400, None),
    "foreign-host": (get(b"/").replace(b"127.0.0.1", b"evil.example"), 400, BAD_REQUEST_PAGE),
    "garbage": (b"\x00\x01\x02 hello\r\n\r\n", 400, None),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(DAPHNE_CASES))
def test_daphne_answers_each_bad_request_with_a_4xx(production_site, case):
    request, expected, marker = DAPHNE_CASES[case]
    status, body = raw_request(production_site, request)
    assert status == expected
    if marker is not None:
        assert marker.encode() in body


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes",
    [get(b"/?q=" + b"x" * 100_000), get(b"/", extra=b"X-Big: " + b"b" * 17_000 + b"\r\n")],
    ids=["request line", "header line"],
)
def test_daphne_drops_a_line_over_16_kb_and_keeps_serving(production_site, request_bytes):
    # Twisted closes the connection without an answer: no 5xx, nothing reaches
    # Django. (nginx in front answers 414 or 400 first: its buffers are 8 KB.)
    status, _ = raw_request(production_site, request_bytes)
    assert status is None
    assert raw_request(production_site, get(b"/"))[0] == 200
    status, body = raw_request(production_site, get(b"/", b"HEAD"))
    assert status == 200
    assert body == b""
