"""Shared fixtures: the people who use the site, a course with lessons, and an HTML reader.

Personas are built once per test, in fixtures, and named after who they are:

- ``editor`` and ``other_editor``: staff who write lessons (superusers, so they hold
  every lesson permission);
- ``reader``: an active account without staff rights;
- anonymous visitors use pytest-django's plain ``client`` / ``async_client``.

Each persona has a logged-in sync client (``editor_client`` ...) and an async one
(``editor_async_client`` ...). The async clients are built and logged in from sync
fixtures, so no sync ORM call ever runs inside a test's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings
from django.db import connections
from django.test import AsyncClient, Client

from lessons.models import Course, Lesson
from live import runtime
from tests import services
from tests.html_reader import Element, form_data, parse_html

# ---------------------------------------------------------------------------
# People (no passwords: hashing one costs a third of a second; force_login needs none)


# The in-process sandbox runner and weather simulator (tests/sandboxes.py).
pytest_plugins = ["tests.sandboxes"]


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        username="editor", is_staff=True, is_superuser=True
    )


@pytest.fixture
def other_editor(django_user_model):
    return django_user_model.objects.create_user(
        username="other-editor", is_staff=True, is_superuser=True
    )


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(username="reader")


def _logged_in(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return _logged_in(Client, editor)


@pytest.fixture
def other_editor_client(other_editor):
    return _logged_in(Client, other_editor)


@pytest.fixture
def reader_client(reader):
    return _logged_in(Client, reader)


@pytest.fixture
def editor_async_client(editor):
    return _logged_in(AsyncClient, editor)


@pytest.fixture
def reader_async_client(reader):
    return _logged_in(AsyncClient, reader)


# ---------------------------------------------------------------------------
# Content

INTRO_BODY = """\
## Why wait

Waiting is what programs do most.

### A closer look

```python
import asyncio
```
"""


@pytest.fixture
def course(db):
    return Course.objects.create(
        title="Asyncio basics", slug="basics", summary="Learn the loop.", position=1
    )


@dataclass
class CourseLessons:
    """The lessons of ``course``, in reading order: published, draft, published."""

    intro: Lesson
    draft: Lesson
    outro: Lesson
    all: list[Lesson] = field(default_factory=list)


@pytest.fixture
def lessons(course):
    def make(position, slug, title, status, body):
        return Lesson.objects.create(
            course=course,
            position=position,
            slug=slug,
            title=title,
            summary=f"Summary of {title}.",
            status=status,
            body=body,
        )

    published, draft = Lesson.Status.PUBLISHED, Lesson.Status.DRAFT
    intro = make(1, "intro", "Introduction", published, INTRO_BODY)
    wip = make(2, "work-in-progress", "Work in progress", draft, "Secret draft words.\n")
    outro = make(3, "outro", "Where next", published, "## Onwards\n\nKeep going.\n")
    return CourseLessons(intro=intro, draft=wip, outro=outro, all=[intro, wip, outro])


# ---------------------------------------------------------------------------
# Reading HTML (standard library only; the reader is in tests/html_reader.py)


@pytest.fixture
def html():
    """``html(response_or_markup)`` parses a page or a fragment into an ``Element`` tree."""

    def parse(source) -> Element:
        return parse_html(getattr(source, "content", source))

    return parse


@pytest.fixture
def form_fields():
    """``form_fields(response, form_id)``: a form's fields as a browser would send them."""

    def read(response, form_id: str) -> dict[str, str]:
        form = parse_html(response.content).find("form", id=form_id)
        assert form is not None, f"no form #{form_id} on the page"
        return form_data(form)

    return read


def pytest_configure(config):
    # WhiteNoise notes that STATIC_ROOT is missing until collectstatic runs; tests don't need it.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


# ---------------------------------------------------------------------------
# Shared state


@pytest.fixture(autouse=True)
def _async_orm_connections_closed(request):
    """After an async test, the database connections of the async ORM's thread are closed.

    The async ORM runs queries in asgiref's one thread for sync code, which opens
    connections of its own and, in a test, nothing else closes. Left open, the
    last one keeps PostgreSQL from dropping the test database at the end
    ("is being accessed by other users"), and each test would inherit the state
    of the one before it.
    """
    yield
    if inspect.iscoroutinefunction(request.function):
        asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """A channel layer of its own for each test, as each test has its own event loop.

    channels keeps one layer per process, and channels_redis's receive locks
    belong to the loop that first waits on them: a receive left pending when a
    test's loop closed (a room hub's, cancelled as the test ends) kept its
    lock locked and bound to that loop, and every later test's receive on the
    layer failed with "bound to a different event loop".
    """
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _empty_redis():
    """With REDIS_URL set (CI's second run of the suite), every test starts on an
    empty Redis database: no rate-limit count or lease carries over from another."""
    url = settings.REDIS_URL
    if url:
        if not services.reachable(url):
            services.unavailable("Redis", f"REDIS_URL is {url} and nothing answers there")
        services.redis_flush(url)


@pytest.fixture
def fresh_runtime():
    """The demo runtime (thread pool, capacity gates, rate limiter, socket counts)
    made anew for the test and dropped after it, so no count carries over."""
    runtime.reset()
    yield
    runtime.reset()
