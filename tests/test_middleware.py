"""The async-native middleware in tutorialsite.middleware behaves exactly like Django's.

Each class is Django's own (or WhiteNoise's) with its hooks called on the
event loop. The same visits (a lesson page, the admin login with and without
its CSRF token, the admin as staff, a slash redirect, a static file) are made
through the async stack twice, once with the site's MIDDLEWARE and once with
the original classes in their place, and must get the same answers.
"""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.test import AsyncClient
from django.urls import path

from tutorialsite import middleware

pytestmark = pytest.mark.django_db(transaction=True)

ORIGINALS = {
    f"tutorialsite.middleware.{path.rsplit('.', 1)[1]}": path
    for path in (
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    )
}
PASSWORD = "correct horse battery staple"
# Headers whose values are compared; the others are compared by name only.
COMPARED = (
    "content-type",
    "location",
    "vary",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "cache-control",
    "allow",
)


def test_each_swapped_class_is_the_original_with_its_hooks_inline():
    for ours, original in ORIGINALS.items():
        assert ours in django_settings.MIDDLEWARE
        ours_class = getattr(middleware, ours.rsplit(".", 1)[1])
        module, name = original.rsplit(".", 1)
        assert issubclass(ours_class, getattr(__import__(module, fromlist=[name]), name))


def normalized(response) -> dict:
    headers = {name.lower(): value for name, value in response.items()}
    csp = re.sub(r"'nonce-[^']+'", "'nonce'", headers.get("content-security-policy", ""))
    return {
        "status": response.status_code,
        "header_names": sorted(headers),
        "headers": {name: headers[name] for name in COMPARED if name in headers},
        "csp": csp,
        "cookies": {
            name: {key: morsel[key] for key in ("path", "httponly", "samesite", "max-age")}
            for name, morsel in sorted(response.cookies.items())
        },
    }


async def visit_the_site(lesson_url: str, draft_url: str) -> list[dict]:
    """A reader's page, then a login (refused without the CSRF token), then the admin."""
    client = AsyncClient(enforce_csrf_checks=True)
    seen = [normalized(await client.get(lesson_url))]
    login_page = await client.get("/admin/login/")
    seen.append(normalized(login_page))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.content)
    credentials = {"username": "admin-user", "password": PASSWORD, "next": "/admin/"}
    seen.append(normalized(await client.post("/admin/login/", credentials)))
    logged_in = await client.post(
        "/admin/login/", {**credentials, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    seen.append(normalized(logged_in))
    seen.append(normalized(await client.get("/admin/")))
    seen.append(normalized(await client.get(draft_url)))
    seen.append(normalized(await client.get(lesson_url.rstrip("/"))))
    seen.append(normalized(await client.get("/static/css/site.css")))
    seen.append(normalized(await client.get("/static/css/no-such-file.css")))
    return seen


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(
        username="admin-user", password=PASSWORD, is_staff=True, is_superuser=True
    )


async def test_the_async_stack_answers_like_djangos_own_middleware(lessons, admin_user, settings):
    urls = (lessons.intro.get_absolute_url(), lessons.draft.get_absolute_url())
    ours = await visit_the_site(*urls)
    settings.MIDDLEWARE = [ORIGINALS.get(name, name) for name in settings.MIDDLEWARE]

    djangos = await visit_the_site(*urls)

    assert ours == djangos
    statuses = [step["status"] for step in ours]
    assert statuses == [200, 200, 403, 302, 200, 200, 301, 200, 404]
    assert "sessionid" in ours[3]["cookies"]  # the modified session was saved
    assert "csrftoken" in ours[1]["cookies"]


async def test_a_reader_page_takes_no_thread_hop_in_the_middleware(lessons, monkeypatch):
    hops = []
    real = middleware.sync_to_async

    def recording(hook, **options):
        hops.append(getattr(hook, "__qualname__", repr(hook)))
        return real(hook, **options)

    monkeypatch.setattr(middleware, "sync_to_async", recording)
    response = await AsyncClient().get(lessons.intro.get_absolute_url())

    assert response.status_code == 200
    assert hops == []


async def test_a_form_post_checks_csrf_in_a_thread(lessons, monkeypatch):
    hops = []
    real = middleware.sync_to_async

    def recording(hook, **options):
        hops.append(getattr(hook, "__qualname__", repr(hook)))
        return real(hook, **options)

    monkeypatch.setattr(middleware, "sync_to_async", recording)
    response = await AsyncClient(enforce_csrf_checks=True).post("/admin/login/", {})

    assert response.status_code == 403
    assert "CsrfViewMiddleware.process_view" in hops


async def test_a_static_file_is_served_whole_from_a_thread(monkeypatch):
    hops = []
    real = middleware.sync_to_async

    def recording(hook, **options):
        hops.append(getattr(hook, "__qualname__", repr(hook)))
        return real(hook, **options)

    monkeypatch.setattr(middleware, "sync_to_async", recording)
    response = await AsyncClient().get("/static/css/site.css")
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert body == (django_settings.BASE_DIR / "static" / "css" / "site.css").read_bytes()
    assert hops == ["WhiteNoiseMiddleware._serve_if_found"]


# ---------------------------------------------------------------------------
# Messages go through a redirect: stored on the way out, shown once.


async def leave_a_message(request):
    messages.success(request, "Saved, and said so once.")
    return HttpResponseRedirect("/show/")


async def show_messages(request):
    return HttpResponse(" | ".join(str(message) for message in messages.get_messages(request)))


urlpatterns = [path("leave/", leave_a_message), path("show/", show_messages)]


@pytest.mark.urls(__name__)
async def test_a_message_survives_one_redirect_and_is_shown_once():
    client = AsyncClient()

    await client.get("/leave/")
    shown = await client.get("/show/")
    again = await client.get("/show/")

    assert shown.content == b"Saved, and said so once."
    assert again.content == b""
