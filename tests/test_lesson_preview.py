"""The lesson editor's live preview: staff only, bounded like a save, readers' HTML, no save."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from lessons.body_limits import MAX_BODY_CHARS
from lessons.models import ClaimCheck, Lesson
from lessons.rendering import BodyError, render_markdown
from live import runtime
from tests import services

pytestmark = pytest.mark.django_db

URL = "/admin/lessons/lesson/preview/"
REDIS_DB = 14  # this file's own Redis database, emptied before use
CLAIM = "{{claim sleep async tasks=3 seconds=0.1 -> 0.1 s ±50%}}"
BODY = (
    "# The loop\n\n"
    f"Three sleeps take {CLAIM} together.\n\n"
    "```python\nimport asyncio\n```\n\n"
    "```demo\nname: sleep\ntasks: 3\n```\n"
)
BROKEN = "Intro.\n\nMore.\n\n```demo\nname: nope\n```\n"


@pytest.fixture(autouse=True)
def fresh_limiter(settings):
    settings.LESSON_PREVIEW_RATE_LIMIT = (1000, 60)
    runtime.preview_limiter.cache_clear()
    yield
    runtime.preview_limiter.cache_clear()


def post(client, body: str = BODY):
    return client.post(URL, {"body": body})


def test_the_preview_url_is_the_admins():
    assert reverse("admin:lessons_lesson_preview") == URL


def test_staff_get_the_html_readers_would_get(editor_client):
    response = post(editor_client)

    assert response.status_code == 200
    answer = response.json()
    assert answer["html"] == render_markdown(BODY).html
    assert answer["errors"] == []
    assert answer["toc"] == [{"id": "the-loop", "title": "The loop", "level": 2}]


def test_the_preview_is_the_html_a_saved_lesson_shows_readers(editor_client, course, client):
    lesson = Lesson.objects.create(
        course=course, slug="previewed", title="Previewed", body=BODY, status="published"
    )

    html = post(editor_client).json()["html"]

    assert html == lesson.body_html
    assert html in client.get(lesson.get_absolute_url()).content.decode()


def test_a_demo_block_is_previewed_as_its_widget_with_its_starting_parameters(editor_client):
    html = post(editor_client).json()["html"]

    assert 'data-demo="sleep"' in html
    assert 'data-params="{&quot;tasks&quot;: 3}"' in html


def test_a_quiz_is_previewed_as_readers_see_it(editor_client):
    quiz = "```quiz\nquestion: Does await block the loop?\nanswer: 0\ntolerance: 0\n```\n"
    answer = post(editor_client, quiz).json()

    assert answer["errors"] == []
    assert answer["html"] == render_markdown(quiz).html
    assert "Does await block the loop?" in answer["html"]


def test_a_broken_block_is_an_error_at_its_line_with_the_saves_message(editor_client):
    with pytest.raises(BodyError) as refused:
        render_markdown(BROKEN)  # what a save says

    (error,) = post(editor_client, BROKEN).json()["errors"]

    assert error == {"line": 5, "message": str(refused.value)}
    assert error["message"].startswith("Line 5: unknown demo 'nope'")


@pytest.mark.parametrize(
    "claim",
    [
        "{{claim nope async -> 1 s ±10%}}",
        "{{claim sleep async tasks=3 seconds=0.1 -> 0.1 x ±50%}}",
        "{{claim sleep async " + "tasks=3 " * 20 + "-> 1 s ±10%}}",  # quoted cut short
    ],
    ids=["unknown-demo", "wrong-unit", "long"],
)
def test_a_broken_claim_is_an_error_at_its_line_with_the_saves_message(editor_client, claim):
    body = f"Intro.\n\nFine {CLAIM}.\n\nIt takes {claim}.\n"
    with pytest.raises(BodyError) as refused:
        render_markdown(body)

    (error,) = post(editor_client, body).json()["errors"]

    assert error == {"line": 5, "message": str(refused.value)}


def test_an_error_about_the_whole_text_names_no_line(editor_client):
    answer = post(editor_client, "x" * (MAX_BODY_CHARS + 1)).json()

    (error,) = answer["errors"]
    assert error["line"] is None
    assert f"at most {MAX_BODY_CHARS:,}" in error["message"]
    assert answer["html"] == ""


def test_a_body_at_the_bound_is_previewed(editor_client):
    answer = post(editor_client, "word " * (MAX_BODY_CHARS // 5)).json()

    assert answer["errors"] == []


def test_a_hostile_body_is_refused_by_the_saves_bounds(editor_client):
    nested = "<div>" * 5_000 + "deep" + "</div>" * 5_000
    with pytest.raises(BodyError) as refused:
        render_markdown(nested)

    answer = post(editor_client, nested).json()

    assert answer["errors"] == [{"line": None, "message": str(refused.value)}]
    assert answer["html"] == ""


def test_a_null_character_is_the_error_a_save_gives(editor_client):
    with pytest.raises(ValidationError) as refused:
        Lesson._meta.get_field("body").formfield().clean("Intro.\x00")  # the admin form's field

    answer = post(editor_client, "Intro.\x00").json()

    assert answer["errors"] == [{"line": None, "message": refused.value.messages[0]}]
    assert answer["html"] == ""


def test_claims_are_listed_as_not_checked_yet(editor_client):
    (claim,) = post(editor_client).json()["claims"]

    assert claim["source"] == CLAIM
    assert claim["line"] == 3
    assert claim["claimed"] == "0.1 s ±50%"
    assert claim["last_check"] is None


@pytest.mark.parametrize(
    "before",
    [f"Write `{CLAIM}` like this.\n", f"```\n{CLAIM}\n```\n"],
    ids=["code-span", "code-block"],
)
def test_a_claim_is_listed_at_its_line_not_at_the_same_text_in_code(editor_client, before):
    body = f"{before}\nIt takes {CLAIM}.\n"

    (claim,) = post(editor_client, body).json()["claims"]

    assert claim["line"] == body.count("\n")


def test_claims_are_listed_with_their_last_check(editor_client):
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    ClaimCheck.objects.create(source=CLAIM, measured=0.104, passed=True, checked_at=when)

    (claim,) = post(editor_client).json()["claims"]

    assert claim["last_check"] == {
        "passed": True,
        "measured": "0.10 s",
        "reason": "",
        "checked_at": when.isoformat(),
    }


def test_claims_stay_listed_while_a_block_has_an_error(editor_client):
    answer = post(editor_client, BODY + "\n" + BROKEN).json()

    assert answer["errors"][0]["message"].startswith("Line 18: unknown demo 'nope'")
    (claim,) = answer["claims"]
    assert (claim["source"], claim["line"]) == (CLAIM, 3)


def test_previewing_saves_nothing(editor_client, lessons):
    before = list(Lesson.objects.values_list("pk", "body", "body_html", "version"))
    history = Lesson.history.count()

    assert post(editor_client).status_code == 200

    assert list(Lesson.objects.values_list("pk", "body", "body_html", "version")) == before
    assert Lesson.history.count() == history


def test_anonymous_visitors_are_refused(client):
    response = post(client)

    assert response.status_code == 403
    assert "html" not in response.json()


def test_a_logged_in_reader_is_refused(reader_client):
    assert post(reader_client).status_code == 403


def test_staff_without_the_lesson_change_permission_are_refused(django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    client = Client()
    client.force_login(clerk)

    assert post(client).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="change_lesson"))
    assert post(client).status_code == 200


def test_a_get_is_refused(editor_client):
    assert editor_client.get(URL).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    assert post(client).status_code == 403


def test_a_post_with_the_csrf_token_is_answered(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get(reverse("admin:lessons_lesson_add"))  # sets the CSRF cookie, as the form does
    token = client.cookies["csrftoken"].value

    response = client.post(URL, {"body": BODY}, headers={"X-CSRFToken": token})

    assert response.status_code == 200


def test_previews_beyond_the_rate_limit_get_429_with_retry_after(editor_client, settings):
    settings.LESSON_PREVIEW_RATE_LIMIT = (2, 60)
    runtime.preview_limiter.cache_clear()

    assert post(editor_client).status_code == 200
    assert post(editor_client).status_code == 200
    refused = post(editor_client)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many previews" in refused.json()["error"]


def test_the_rate_limit_counts_previews_made_through_every_process(editor_client, settings):
    settings.REDIS_URL = services.redis_url(REDIS_DB)
    services.redis_flush(settings.REDIS_URL)
    settings.LESSON_PREVIEW_RATE_LIMIT = (1, 60)
    runtime.preview_limiter.cache_clear()
    assert post(editor_client).status_code == 200

    runtime.preview_limiter.cache_clear()  # another process: a limiter of its own

    assert post(editor_client).status_code == 429


def test_the_rate_limit_counts_each_staff_member_apart(
    editor_client, other_editor_client, settings
):
    settings.LESSON_PREVIEW_RATE_LIMIT = (1, 60)
    runtime.preview_limiter.cache_clear()

    assert post(editor_client).status_code == 200
    assert post(editor_client).status_code == 429
    assert post(other_editor_client).status_code == 200


def test_the_add_form_carries_the_editor_for_a_lesson_not_saved_yet(editor_client, html):
    page = html(editor_client.get(reverse("admin:lessons_lesson_add")))

    assert page.find("textarea", id="id_body").attrs["data-preview-url"] == URL


def test_the_change_form_carries_the_editor_and_a_short_summary(editor_client, lessons, html):
    page = html(editor_client.get(reverse("admin:lessons_lesson_change", args=[lessons.intro.pk])))

    body = page.find("textarea", id="id_body")
    assert body.attrs["data-preview-url"] == URL
    assert "/static/css/site.css" in body.attrs["data-preview-styles"]
    assert page.find("textarea", id="id_summary").attrs["rows"] == "2"
    scripts = page.find_all("script", type="module")
    assert any(script.attrs["src"].endswith("js/lesson-editor.js") for script in scripts)
