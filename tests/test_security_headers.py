"""Security headers and the Content Security Policy, and a production configuration
that ``manage.py check --deploy`` finds nothing to warn about."""

import asyncio
import json
import os
import secrets
import subprocess
import sys

import pytest
from channels.testing import HttpCommunicator

from tests.conftest import parse_html
from tests.servers import ROOT
from tutorialsite.asgi import application
from tutorialsite.checks import required_middleware

pytestmark = pytest.mark.django_db(transaction=True)

LESSON_WITH_DEMO = """\
## Try it

```demo
name: sleep
tasks: 2
seconds: 0.5
```
"""

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],  # in debug; production adds wss:// per host (below)
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def demo_lesson(lessons):
    lessons.outro.body = LESSON_WITH_DEMO
    lessons.outro.save()
    return lessons.outro


@pytest.fixture
def pages(demo_lesson) -> list[str]:
    return [
        "/",
        "/courses/basics/",
        "/courses/basics/intro/",
        demo_lesson.get_absolute_url(),
        "/courses/nowhere/",  # the 404 page
        "/admin/login/",
    ]


def test_every_page_carries_the_policy_and_the_security_headers(client, pages):
    for url in [*pages, "/demos/catalog.json"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert policy(response["Content-Security-Policy"]) == EXPECTED_POLICY, url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


async def test_pages_served_from_the_page_cache_keep_their_headers(lessons, monkeypatch):
    page_cache = application.application_mapping["http"]
    django_answered = []
    django = page_cache.app

    async def counting(scope, receive, send):
        django_answered.append(scope["path"])
        await django(scope, receive, send)

    monkeypatch.setattr(page_cache, "app", counting)

    async def fetch() -> dict[str, str]:
        communicator = HttpCommunicator(
            application, "GET", "/courses/basics/intro/", headers=[(b"host", b"127.0.0.1")]
        )
        response = await communicator.get_response()
        assert response["status"] == 200
        return {name.decode().lower(): value.decode() for name, value in response["headers"]}

    rendered = await fetch()
    # With a shared channel layer the fixtures' own "content changed" notices
    # come back through Redis and may make the first copy stale: fetch until a
    # copy is replayed from the cache (Django not asked again).
    for _ in range(40):
        asked_before = len(django_answered)
        replayed = await fetch()
        if len(django_answered) == asked_before:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("no page was ever served from the page cache")
    for headers in (rendered, replayed):
        assert policy(headers["content-security-policy"]) == EXPECTED_POLICY
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cross-origin-opener-policy"] == "same-origin"


def test_no_page_holds_inline_script_style_or_event_handlers(client, pages):
    for url in pages:
        document = parse_html(client.get(url).content)
        for element in document.iter():
            where = f"{url}: <{element.tag} {element.attrs}>"
            assert "style" not in element.attrs, where
            assert not [name for name in element.attrs if name.startswith("on")], where
            assert element.tag != "style", where
            for name in ("href", "src", "action", "formaction"):
                assert not (element.attrs.get(name) or "").lower().startswith("javascript:"), where
            if element.tag == "script":
                # Data blocks (json_script) are not run; every script that runs is a file.
                is_data = element.attrs.get("type") == "application/json"
                assert is_data or (element.attrs.get("src") and not element.text.strip()), where


def test_the_demo_page_connects_to_its_own_host(client, demo_lesson):
    # The socket URL is a path: the browser resolves it against the page's own
    # origin, which 'self' in connect-src covers (ws: and wss: included, CSP 3).
    body = parse_html(client.get(demo_lesson.get_absolute_url()).content).find("body")
    assert body.attrs["data-demo-socket"].startswith("/")


# ---------------------------------------------------------------------------
# Production settings, checked in a fresh process


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tutorialsite.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.org,.lessons.example.org",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_finds_nothing_to_warn_about_in_production():
    result = manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_does_warn_about_a_debug_configuration():
    # The check above can fail: with debug on it finds plenty.
    env = production_env(DJANGO_DEBUG="true")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG


@pytest.mark.parametrize(
    ("removed", "check_id"),
    [
        ("SecurityMiddleware", "tutorialsite.W001"),
        ("XFrameOptionsMiddleware", "tutorialsite.W002"),
        ("CsrfViewMiddleware", "tutorialsite.W003"),
        ("ContentSecurityPolicyMiddleware", "tutorialsite.W004"),
    ],
)
def test_the_deploy_check_reports_a_protection_taken_out(settings, removed, check_id):
    # Django's own W001-W003 are silenced in favour of these; they must still fire.
    assert required_middleware(None) == []
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if not path.endswith(removed)]
    assert [problem.id for problem in required_middleware(None)] == [check_id]


def resolved_settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_turns_on_https_and_names_the_websocket_hosts():
    found = resolved_settings(
        production_env(),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_CSP",
    )
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when asked for
    assert found["SECURE_CSP"]["connect-src"] == [
        "'self'",
        "wss://example.org",
        "wss://*.lessons.example.org",
    ]


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted():
    found = resolved_settings(
        production_env(DJANGO_BEHIND_TLS_PROXY="true"), "SECURE_PROXY_SSL_HEADER"
    )
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
