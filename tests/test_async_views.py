"""Reader-facing views are async and never touch the sync ORM.

Django raises SynchronousOnlyOperation when a sync ORM call (or anything else
marked async-unsafe) runs inside an event loop. Requesting every page through
the AsyncClient, with DJANGO_ALLOW_ASYNC_UNSAFE unset, turns such a call into a
failing test; the last tests prove that this guard really fires.
"""

import inspect
import os

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory
from django.urls import path

from lessons import views
from lessons.models import Lesson

READER_VIEWS = ["course_list", "course_detail", "lesson_detail", "demo_catalog"]


@pytest.fixture(autouse=True)
def _async_safety_is_enforced():
    # With this variable set, Django would let sync ORM calls through silently.
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


def test_async_unsafe_calls_are_not_allowed_in_this_test_run():
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") is None


@pytest.mark.parametrize("name", READER_VIEWS)
def test_every_reader_view_is_a_coroutine_function(name):
    view = getattr(views, name)

    assert inspect.iscoroutinefunction(view)
    assert iscoroutinefunction(view)  # what Django's handler checks to run it on the loop


def test_every_routed_reader_page_is_async():
    # Also covers views added later: anything lessons.urls routes must be async.
    from lessons.urls import urlpatterns

    assert urlpatterns
    for pattern in urlpatterns:
        assert iscoroutinefunction(pattern.callback), pattern.callback.__name__


# ---------------------------------------------------------------------------
# Every page through the async stack

PAGES = [
    ("anonymous", "/", 200),
    ("anonymous", "/demos/catalog.json", 200),
    ("anonymous", "/courses/basics/", 200),
    ("anonymous", "/courses/basics/intro/", 200),
    ("anonymous", "/courses/basics/outro/", 200),
    ("anonymous", "/courses/basics/work-in-progress/", 404),
    ("anonymous", "/courses/nowhere/", 404),
    ("anonymous", "/courses/basics/nowhere/", 404),
    ("reader", "/", 200),
    ("reader", "/courses/basics/", 200),
    ("reader", "/courses/basics/intro/", 200),
    ("reader", "/courses/basics/work-in-progress/", 404),
    ("editor", "/", 200),
    ("editor", "/courses/basics/", 200),
    ("editor", "/courses/basics/intro/", 200),
    ("editor", "/courses/basics/work-in-progress/", 200),
]


@pytest.fixture
def browser(request):
    """An AsyncClient for ``request.param``: anonymous, reader or editor.

    Built in this sync fixture, never inside the test's event loop.
    """
    names = {
        "anonymous": "async_client",
        "reader": "reader_async_client",
        "editor": "editor_async_client",
    }
    return request.getfixturevalue(names[request.param])


@pytest.fixture
def demo_lesson(course):
    return Lesson.objects.create(
        course=course,
        slug="with-demo",
        title="With a demo",
        status=Lesson.Status.PUBLISHED,
        position=9,
        body="```demo\nname: sleep\ntasks: 2\n```\n",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("browser", "url", "status"), PAGES, indirect=["browser"])
async def test_pages_are_served_by_the_async_orm(browser, url, status, lessons, demo_lesson):

    # A sync ORM call anywhere in the view or its template raises here.
    response = await browser.get(url)

    assert response.status_code == status


@pytest.mark.django_db(transaction=True)
async def test_a_lesson_with_demo_statistics_is_served_by_the_async_orm(demo_lesson, async_client):
    response = await async_client.get(demo_lesson.get_absolute_url())

    assert response.status_code == 200
    assert b"Runs so far" in response.content


# ---------------------------------------------------------------------------
# The guard itself: a deliberately wrong view must be caught.


async def view_with_a_sync_query(request):
    count = Lesson.objects.count()  # the bug under test: a sync query on the event loop
    return HttpResponse(str(count))


async def view_with_an_async_query(request):
    count = await Lesson.objects.acount()
    return HttpResponse(str(count))


urlpatterns = [
    path("wrong/", view_with_a_sync_query),
    path("right/", view_with_an_async_query),
]


@pytest.mark.django_db(transaction=True)
async def test_a_sync_query_in_an_async_view_is_caught_when_called_on_the_loop():
    request = RequestFactory().get("/wrong/")

    with pytest.raises(SynchronousOnlyOperation):
        await view_with_a_sync_query(request)


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
async def test_a_sync_query_in_an_async_view_fails_a_request_through_the_async_client():
    with pytest.raises(SynchronousOnlyOperation):
        await AsyncClient().get("/wrong/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
async def test_the_same_view_written_with_the_async_orm_passes(lessons):
    response = await AsyncClient().get("/right/")

    assert response.status_code == 200
    assert response.content == b"3"
