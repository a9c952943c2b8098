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

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.test import AsyncClient, Client

from lessons.models import Course, Lesson

# ---------------------------------------------------------------------------
# People (no passwords: hashing one costs a third of a second; force_login needs none)


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
# Reading HTML (standard library only)

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Descendants by tag and attribute values; ``class_`` matches one CSS class."""
        found = []
        for element in self.iter():
            if tag is not None and element.tag != tag:
                continue
            if all(_attr_matches(element, name, value) for name, value in attrs.items()):
                found.append(element)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


def _attr_matches(element: Element, name: str, value: str) -> bool:
    if name == "class_":
        return value in (element.attrs.get("class") or "").split()
    return element.attrs.get(name.replace("_", "-")) == value


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(markup: str | bytes) -> Element:
    if isinstance(markup, bytes):
        markup = markup.decode()
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


@pytest.fixture
def html():
    """``html(response_or_markup)`` parses a page or a fragment into an ``Element`` tree."""

    def parse(source) -> Element:
        return parse_html(getattr(source, "content", source))

    return parse


def _form_fields(form: Element) -> dict[str, str]:
    """What a browser would submit from ``form`` untouched (without a submit button)."""
    data: dict[str, str] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = (element.attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"} and "checked" not in element.attrs:
                continue
            data[name] = element.attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif element.tag == "textarea":
            # Browsers drop the newline right after <textarea>; html.parser does not.
            data[name] = element.text.removeprefix("\n")
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            if chosen:
                data[name] = chosen[0].attrs.get("value") or ""
    return data


@pytest.fixture
def form_fields():
    """``form_fields(response, form_id)``: a form's fields as a browser would send them."""

    def read(response, form_id: str) -> dict[str, str]:
        form = parse_html(response.content).find("form", id=form_id)
        assert form is not None, f"no form #{form_id} on the page"
        return _form_fields(form)

    return read


def pytest_configure(config):
    # WhiteNoise notes that STATIC_ROOT is missing until collectstatic runs; tests don't need it.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
