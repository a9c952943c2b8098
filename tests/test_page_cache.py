"""Anonymous readers' pages are kept rendered, and never stale, never someone else's.

Requests go through the ASGI application (a fresh ``PageCache`` in front of
Django for each test), as daphne would send them. A page is shown to come
from memory by changing the database behind Django's back (a queryset
``update`` sends no signal): a cached page still shows the old text.
"""

import asyncio
import dataclasses
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.test import Client
from django.urls import path
from django.utils.csp import CSP

from demos.runner import RunResult
from lessons import page_freshness
from lessons.models import Course, Lesson
from lessons.page_freshness import reader_page
from live import services
from tutorialsite import page_cache
from tutorialsite.page_cache import PageCache

pytestmark = pytest.mark.django_db(transaction=True)

INTRO = "/courses/basics/intro/"
DRAFT = "/courses/basics/work-in-progress/"


@pytest.fixture
def site():
    return PageCache(get_asgi_application(), listen=False)


async def get(
    app, url: str, cookie: str = "", host: str = "127.0.0.1", extra: list | None = None
) -> tuple[int, str, dict[bytes, bytes]]:
    headers = [(b"host", host.encode()), *(extra or [])]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path, _, query = url.partition("?")
    request = HttpCommunicator(app, "GET", path, headers=headers)
    request.scope["query_string"] = query.encode()
    response = await request.get_response(timeout=30)
    await request.wait(timeout=30)  # the page is kept after the answer is sent
    return response["status"], response["body"].decode(), dict(response["headers"])


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@sync_to_async
def retitle_without_signals(lesson: Lesson, title: str) -> None:
    Lesson.objects.filter(pk=lesson.pk).update(title=title)


async def test_an_anonymous_reader_gets_the_kept_page(site, lessons):
    status, first, _ = await get(site, INTRO)
    await retitle_without_signals(lessons.intro, "Changed behind the cache")

    status, again, _ = await get(site, INTRO)

    assert status == 200
    assert again == first
    assert "Changed behind the cache" not in again


async def test_saving_a_lesson_refreshes_its_page_at_once(site, lessons):
    await get(site, INTRO)
    lessons.intro.title = "A better introduction"
    await sync_to_async(lessons.intro.save)()

    _, page, _ = await get(site, INTRO)

    assert "A better introduction" in page


async def test_renaming_the_course_refreshes_every_page_showing_it(site, course, lessons):
    await get(site, INTRO)
    await get(site, "/")
    course.title = "Loops for everyone"
    await sync_to_async(course.save)()

    for url in (INTRO, "/"):
        _, page, _ = await get(site, url)
        assert "Loops for everyone" in page


async def test_deleting_a_lesson_takes_it_off_at_once(site, lessons):
    await get(site, "/courses/basics/outro/")
    await sync_to_async(lessons.outro.delete)()

    status, _, _ = await get(site, "/courses/basics/outro/")

    assert status == 404


async def test_a_change_nobody_heard_of_shows_once_the_page_expires(site, lessons, monkeypatch):
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)
    await get(site, INTRO)
    await retitle_without_signals(lessons.intro, "Changed in another process")

    _, expired, _ = await get(site, INTRO)  # the kept copy, while it is rendered again
    await site.settle()
    _, page, _ = await get(site, INTRO)

    assert "Changed in another process" not in expired
    assert "Changed in another process" in page


async def test_a_page_is_not_served_longer_than_its_stale_limit(site, lessons, monkeypatch):
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)
    monkeypatch.setattr(page_cache, "STALE_WHILE_RENDERING", 0.0)
    await get(site, INTRO)
    await retitle_without_signals(lessons.intro, "Changed in another process")

    _, page, _ = await get(site, INTRO)

    assert "Changed in another process" in page


async def test_staff_never_get_the_anonymous_copy(site, lessons, editor):
    _, anonymous, _ = await get(site, INTRO)
    assert ">Admin<" not in anonymous
    cookie = await sync_to_async(session_cookie)(editor)

    _, staff, _ = await get(site, INTRO, cookie=cookie)

    assert ">Admin<" in staff


async def test_a_page_rendered_for_staff_is_never_kept_for_readers(site, lessons, editor):
    cookie = await sync_to_async(session_cookie)(editor)
    _, staff, _ = await get(site, INTRO, cookie=cookie)
    assert ">Admin<" in staff

    _, anonymous, _ = await get(site, INTRO)

    assert ">Admin<" not in anonymous


async def test_a_logged_in_reader_is_served_by_django(site, lessons, reader):
    await get(site, INTRO)
    await retitle_without_signals(lessons.intro, "Fresh for logged-in readers")
    cookie = await sync_to_async(session_cookie)(reader)

    _, page, _ = await get(site, INTRO, cookie=cookie)

    assert "Fresh for logged-in readers" in page


async def test_drafts_are_never_cached_for_readers(site, lessons, editor):
    cookie = await sync_to_async(session_cookie)(editor)
    status, staff, _ = await get(site, DRAFT, cookie=cookie)
    assert status == 200
    assert "draft-banner" in staff

    for _ in range(2):
        status, _, _ = await get(site, DRAFT)
        assert status == 404


async def test_publishing_a_draft_shows_it_to_readers_at_once(site, lessons):
    assert (await get(site, DRAFT))[0] == 404
    lessons.draft.status = Lesson.Status.PUBLISHED
    await sync_to_async(lessons.draft.save)()

    status, page, _ = await get(site, DRAFT)

    assert status == 200
    assert "draft-banner" not in page


async def test_a_query_string_gets_the_kept_page_and_keeps_no_copy_of_its_own(site, lessons):
    await get(site, INTRO)
    await retitle_without_signals(lessons.intro, "Not seen through a query string")

    for query in ("?from=search", "?x=1", "?x=2&y"):
        status, page, _ = await get(site, INTRO + query)
        assert status == 200
        assert "Not seen through a query string" not in page  # the kept copy
    assert len(site.pages) == 1


async def test_a_page_first_asked_for_with_a_query_string_is_kept_for_everyone(site, lessons):
    await get(site, INTRO + "?utm_source=chat")
    await retitle_without_signals(lessons.intro, "Changed behind the cache")

    _, page, _ = await get(site, INTRO)

    assert "Changed behind the cache" not in page
    assert len(site.pages) == 1


async def test_an_overlong_query_string_is_still_refused(site, lessons, settings):
    await get(site, INTRO)

    status, _, _ = await get(site, INTRO + "?q=" + "x" * settings.MAX_QUERY_STRING_BYTES)

    assert status == 414


async def test_every_port_of_an_allowed_host_shares_one_kept_page(site, lessons):
    for port in ("", ":80", ":8000", ":9999", ":1"):
        status, _, _ = await get(site, INTRO, host=f"127.0.0.1{port}")
        assert status == 200
    assert len(site.pages) == 1


async def test_a_host_django_refuses_is_never_served_a_kept_page(site, lessons):
    await get(site, INTRO)

    status, page, _ = await get(site, INTRO, host="evil.example")

    assert status == 400
    assert "Introduction" not in page


async def test_behind_a_tls_proxy_a_page_kept_for_https_is_not_served_over_http(lessons, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    site = PageCache(get_asgi_application(), listen=False)  # its middleware reads them
    https = [(b"x-forwarded-proto", b"https")]
    assert (await get(site, INTRO, extra=https))[0] == 200

    status, _, headers = await get(site, INTRO, extra=[(b"x-forwarded-proto", b"http")])

    assert status == 301
    assert headers[b"Location"].startswith(b"https://")


async def test_a_stored_run_refreshes_the_run_statistics(site, course, monkeypatch):
    monkeypatch.setattr(page_freshness, "RUNS_LAG", 0.0)
    lesson = await Lesson.objects.acreate(
        course=course,
        slug="with-demo",
        title="With a demo",
        position=9,
        status=Lesson.Status.PUBLISHED,
        body="```demo\nname: sleep\ntasks: 2\n```\n",
    )
    url = f"/courses/basics/{lesson.slug}/"
    _, before, _ = await get(site, url)
    result = RunResult(status="ok", elapsed=0.5, summary="Program executed in 0.50 seconds.")

    await services.demo_run_record(demo="sleep", mode="async", params={}, result=result)
    await get(site, url)  # served the kept copy, which is rendered again behind it
    await site.settle()
    _, after, _ = await get(site, url)

    assert before != after
    assert "0.50 s" in after


async def test_course_pages_refresh_when_a_course_is_added(site, course):
    await get(site, "/")
    await Course.objects.acreate(title="Threads, honestly", slug="threads", position=2)

    _, page, _ = await get(site, "/")

    assert "Threads, honestly" in page


# ---------------------------------------------------------------------------
# The rules for any view marked as a reader page, with views made for the test.

renders = {"count": 0}


@reader_page
async def counted(request):
    renders["count"] += 1
    await asyncio.sleep(0.05)  # long enough for the other readers to arrive meanwhile
    return HttpResponse(f"render {renders['count']}")


@reader_page
async def with_nonce(request):
    return HttpResponse(f'<script nonce="{get_nonce(request)}">1</script>')


@reader_page
async def sets_a_cookie(request):
    renders["count"] += 1  # a count, not id(request): a freed request's id comes back
    response = HttpResponse(f"render {renders['count']}")
    response.set_cookie("seen", "yes")
    return response


gone = {"now": False}


@reader_page
async def may_go(request):
    await asyncio.sleep(0.05)  # long enough for the other readers to arrive meanwhile
    return HttpResponse("here", status=404 if gone["now"] else 200)


urlpatterns = [
    path("counted/", counted),
    path("may-go/", may_go),
    path("nonce/", with_nonce),
    path("cookie/", sets_a_cookie),
]


@pytest.mark.urls(__name__)
async def test_readers_arriving_together_share_one_render(site):
    renders["count"] = 0

    pages = await asyncio.gather(*(get(site, "/counted/") for _ in range(5)))

    assert renders["count"] == 1
    assert {body for _, body, _ in pages} == {"render 1"}


@pytest.mark.urls(__name__)
async def test_a_response_that_sets_a_cookie_is_not_kept(site):
    renders["count"] = 0
    _, first, _ = await get(site, "/cookie/")
    _, second, _ = await get(site, "/cookie/")

    assert first != second


@pytest.mark.urls(__name__)
async def test_each_replayed_page_gets_a_fresh_csp_nonce(site, settings):
    settings.SECURE_CSP = {"script-src": [CSP.SELF, CSP.NONCE]}
    nonces = []
    for _ in range(3):
        _, body, headers = await get(site, "/nonce/")
        in_body = re.search(r'nonce="([^"]+)"', body).group(1)
        in_header = re.search(r"'nonce-([^']+)'", headers[b"Content-Security-Policy"].decode())
        assert in_header.group(1) == in_body
        nonces.append(in_body)

    assert len(set(nonces)) == 3


@pytest.mark.urls(__name__)
async def test_an_expired_page_is_served_at_once_and_rendered_again_behind(site, monkeypatch):
    renders["count"] = 0
    await get(site, "/counted/")
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)  # the kept copy has expired

    pages = await asyncio.gather(*(get(site, "/counted/") for _ in range(5)))
    await site.settle()
    monkeypatch.setattr(page_freshness, "MAX_AGE", 60.0)
    _, after, _ = await get(site, "/counted/")

    assert sorted(body for _, body, _ in pages) == ["render 1"] * 5
    assert renders["count"] == 2  # one render behind the five, not one each
    assert after == "render 2"


@pytest.mark.urls(__name__)
async def test_a_page_too_old_to_serve_waits_for_its_render(site):
    renders["count"] = 0
    await get(site, "/counted/")
    for key, page in site.pages.items():  # kept ten seconds ago: long expired
        site.pages[key] = dataclasses.replace(page, stored_at=page.stored_at - 10)

    pages = await asyncio.gather(*(get(site, "/counted/") for _ in range(5)))

    assert renders["count"] == 2
    assert {body for _, body, _ in pages} == {"render 2"}


@pytest.mark.urls(__name__)
async def test_a_failed_render_behind_the_readers_drops_the_kept_copy(site, monkeypatch, caplog):
    renders["count"] = 0
    await get(site, "/counted/")
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)
    failing = {"now": True}

    async def app(scope, receive, send):
        if failing["now"]:
            raise RuntimeError("the database went away")
        await django_app(scope, receive, send)

    django_app, site.app = site.app, app
    _, served, _ = await get(site, "/counted/")
    await site.settle()
    failing["now"] = False
    _, next_reader, _ = await get(site, "/counted/")

    assert served == "render 1"
    assert "could not render /counted/ again" in caplog.text
    assert next_reader == "render 2"  # rendered for them, not the dropped copy


@pytest.mark.urls(__name__)
async def test_after_an_edit_nobody_gets_the_old_copy(site):
    renders["count"] = 0
    await get(site, "/counted/")
    page_freshness.content_changed()

    pages = await asyncio.gather(*(get(site, "/counted/") for _ in range(5)))

    assert renders["count"] == 2
    assert {body for _, body, _ in pages} == {"render 2"}


@pytest.mark.urls(__name__)
async def test_a_page_that_is_gone_is_not_served_from_the_kept_copy_again(site, monkeypatch):
    gone["now"] = False
    await get(site, "/may-go/")
    gone["now"] = True  # as if unpublished by a process this one did not hear
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)
    await asyncio.gather(*(get(site, "/may-go/") for _ in range(3)))  # one render finds it gone
    await site.settle()

    pages = await asyncio.gather(*(get(site, "/may-go/") for _ in range(3)))

    assert [status for status, _, _ in pages] == [404, 404, 404]


@reader_page
async def cookie_blind(request):
    renders["count"] += 1
    renders["cookies"] = dict(request.COOKIES)
    return HttpResponse(f"render {renders['count']}")


hanging = {"now": False}


@reader_page
async def may_hang(request):
    if hanging["now"]:
        await asyncio.sleep(3600)
    return HttpResponse("answered")


urlpatterns += [path("cookie-blind/", cookie_blind), path("may-hang/", may_hang)]


@pytest.mark.urls(__name__)
async def test_a_render_behind_a_reader_is_made_without_their_cookies(site, monkeypatch):
    renders["count"] = 0
    await get(site, "/cookie-blind/")
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)

    await get(site, "/cookie-blind/", cookie="csrftoken=forged; theme=dark")
    await site.settle()

    assert renders["count"] == 2
    assert renders["cookies"] == {}  # the render behind had none of the reader's


@pytest.mark.urls(__name__)
async def test_a_hanging_render_behind_the_readers_is_given_up(site, monkeypatch, caplog):
    hanging["now"] = False
    await get(site, "/may-hang/")
    monkeypatch.setattr(page_freshness, "MAX_AGE", 0.0)
    monkeypatch.setattr(page_cache, "RENDER_BEHIND_SECONDS", 0.1)
    hanging["now"] = True

    _, served, _ = await get(site, "/may-hang/")
    await asyncio.wait_for(site.settle(), 5)
    hanging["now"] = False
    _, next_reader, _ = await get(site, "/may-hang/")

    assert served == "answered"
    assert "could not render /may-hang/ again" in caplog.text
    assert site.rendering == {}  # nobody is left waiting for it
    assert next_reader == "answered"
