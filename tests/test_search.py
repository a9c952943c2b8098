"""Site search: the index follows the lessons, and every query gets an answer.

These run on whichever database DATABASE_URL names: SQLite's FTS5 by default,
PostgreSQL's text search on CI's second run. Only the tests of how each
database holds its index are for one of them.
"""

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from lessons.models import Lesson
from search import views
from search.backends import (
    MAX_LESSONS,
    MAX_QUERY_CHARS,
    SECTIONS_PER_LESSON,
    marked,
    parse_query,
    search,
)
from search.backends.sqlite import match_expression
from search.indexing import sections_of
from search.models import Section

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("search:results")

CONCURRENCY_BODY = """\
A ceiling on the work in flight.

## Counting places

A semaphore holds a counter of free places: each task takes one.

## An example

```python
async def fetch(slots):
    async with slots:
        return await frobnicate()
```

## Check yourself

```quiz
question: Which primitive keeps a zanzibar of places?
choices:
  - text: A semaphore.
    right: true
  - text: A queue.
```
"""


def make_lesson(course, slug, title, body, status=Lesson.Status.PUBLISHED, position=1):
    return Lesson.objects.create(
        course=course, slug=slug, title=title, body=body, status=status, position=position
    )


@pytest.fixture
def concurrency(course):
    return make_lesson(course, "limits", "Limiting concurrency", CONCURRENCY_BODY)


def results(client, query: str, html):
    response = client.get(SEARCH_URL, {"q": query})
    assert response.status_code == 200
    return html(response)


def found(page) -> list[tuple[str, str, str]]:
    """(lesson title, passage link, passage snippet HTML text) for each passage listed."""
    rows = []
    for result in page.find_all("li", class_="search-result"):
        title = result.find("h2").find("a").text
        for passage in result.find("ul", class_="search-passages").find_all("li"):
            link = passage.find("a", class_="search-passage-heading").attrs["href"]
            rows.append((title, link, passage.find("p", class_="search-snippet")))
    return rows


def marks(snippet) -> list[str]:
    return [mark.text.lower() for mark in snippet.find_all("mark")]


# ---------------------------------------------------------------------------
# What is found, and where it links


@pytest.mark.parametrize(
    ("word", "anchor"),
    [
        ("counter", "#counting-places"),  # a paragraph
        ("frobnicate", "#an-example"),  # a code listing
        ("zanzibar", "#check-yourself"),  # a quiz's question
        ("ceiling", ""),  # the text before the first heading: the lesson's top
    ],
)
def test_it_finds_a_word_and_links_to_the_heading_above_it(client, concurrency, html, word, anchor):
    rows = found(results(client, word, html))

    assert len(rows) == 1
    title, link, snippet = rows[0]
    assert title == "Limiting concurrency"
    assert link == concurrency.get_absolute_url() + anchor
    assert marks(snippet) == [word]


def test_the_anchors_are_the_lesson_pages_own_heading_ids(concurrency):
    ids = [entry["id"] for entry in concurrency.toc]

    indexed = list(Section.objects.filter(lesson=concurrency).values_list("heading_id", flat=True))

    assert indexed == ["", *ids]


def test_a_lesson_with_several_matching_sections_is_listed_once_with_each(
    client, concurrency, html
):
    page = results(client, "semaphore", html)

    assert len(page.find_all("li", class_="search-result")) == 1
    links = [link for _, link, _ in found(page)]
    url = concurrency.get_absolute_url()
    assert sorted(links) == sorted([url + "#counting-places", url + "#check-yourself"])


@pytest.mark.parametrize(
    ("query", "word_in_lesson"),
    [("semaphores", "semaphore"), ("running", "run"), ("Counters", "counter")],
)
def test_words_are_matched_by_their_stem(course, query, word_in_lesson):
    make_lesson(course, "stems", "Stems", f"## Words\n\nPress {word_in_lesson} to start.\n")

    hits = search(query, include_drafts=False)

    assert [hit.heading for hit in hits] == ["Words"]
    assert "<mark>" in hits[0].snippet


def test_every_word_of_a_query_must_match(client, concurrency, html):
    assert found(results(client, "semaphore counter", html))
    assert found(results(client, "semaphore xylophone", html)) == []


def test_a_lesson_whose_title_matches_comes_first(course):
    make_lesson(
        course,
        "queues",
        "Queues",
        "## Workers\n\n" + "A semaphore or a queue: the semaphore counts, the queue holds. " * 5,
    )
    make_lesson(course, "semaphores", "Semaphores", "## Intro\n\nIt counts free places.\n")

    hits = search("semaphore", include_drafts=False)

    assert [hit.lesson_title for hit in hits] == ["Semaphores", "Queues"]


@pytest.mark.parametrize("closing", ["Further reading", "Recap", "Check yourself"])
def test_a_teaching_section_comes_before_the_lessons_closing_sections(course, closing):
    # The closing section is short and says the word twice: bm25 alone ranks it first.
    teaching = "Each task waits for a free place before it starts its request. " * 6
    make_lesson(
        course,
        "limits",
        "Limiting concurrency",
        f"## Bounding the work\n\n{teaching}A semaphore keeps the count.\n\n"
        f"## {closing}\n\n- The semaphore, in the semaphore documentation.\n",
    )

    hits = search("semaphore", include_drafts=False)

    assert [hit.heading for hit in hits] == ["Bounding the work", closing]


def test_a_snippet_is_escaped_text_with_only_its_marks_as_html(course):
    make_lesson(course, "html", "Markup", "## Tags\n\n```html\n<b>semaphore</b> & co\n```\n")

    (hit,) = search("semaphore", include_drafts=False)

    assert "&lt;b&gt;<mark>semaphore</mark>&lt;/b&gt; &amp; co" in hit.snippet


def test_marked_drops_marks_left_unclosed_or_closed_unopened():
    assert marked("x\ue001 a \ue000b\ue001 c \ue000d <i>") == "x a <mark>b</mark> c d &lt;i&gt;"


def test_the_text_of_a_demos_fallback_and_a_quizs_buttons_is_not_indexed(concurrency):
    text = " ".join(Section.objects.filter(lesson=concurrency).values_list("text", flat=True))

    assert "zanzibar" in text
    assert "Check" not in text.replace("Check yourself", "")
    assert "Question 1" not in text
    assert sections_of('<div class="demo"><p class="demo-fallback">needs JS</p></div>')[0:] == []


# ---------------------------------------------------------------------------
# Drafts


@pytest.fixture
def draft(course):
    return make_lesson(
        course, "wip", "Work in progress", "Secret draft words.\n", Lesson.Status.DRAFT
    )


def test_drafts_are_hidden_from_anonymous_readers(client, draft, html):
    page = results(client, "secret", html)

    assert found(page) == []
    assert "No lesson mentions" in page.text


def test_drafts_are_hidden_from_readers_who_are_not_staff(reader_client, draft, html):
    assert found(results(reader_client, "secret", html)) == []


def test_drafts_are_shown_to_staff_and_marked(editor_client, draft, html):
    page = results(editor_client, "secret", html)

    assert [title for title, _, _ in found(page)] == ["Work in progress"]
    assert page.find("span", class_="badge-draft") is not None


def test_a_published_lesson_becomes_visible_to_readers_when_published(client, draft, html):
    draft.status = Lesson.Status.PUBLISHED
    draft.save()

    assert [title for title, _, _ in found(results(client, "secret", html))] == ["Work in progress"]


# ---------------------------------------------------------------------------
# The index follows every way a lesson changes


def test_the_index_follows_a_save_in_the_admin(editor_client, concurrency, form_fields):
    url = reverse("admin:lessons_lesson_change", args=[concurrency.pk])
    data = form_fields(editor_client.get(url), "lesson_form")
    data["body"] = "## Renamed\n\nNow about a mutex.\n"

    response = editor_client.post(url, data)

    assert response.status_code == 302
    assert search("semaphore", include_drafts=True) == []
    (hit,) = search("mutex", include_drafts=True)
    assert hit.url == concurrency.get_absolute_url() + "#renamed"


def test_the_index_follows_a_revert_from_the_history(editor_client, concurrency, form_fields):
    change = reverse("admin:lessons_lesson_change", args=[concurrency.pk])
    data = form_fields(editor_client.get(change), "lesson_form")
    data["body"] = "A regrettable rewrite.\n"
    editor_client.post(change, data)
    assert search("semaphore", include_drafts=True) == []

    original = concurrency.history.earliest()
    revert = reverse("admin:lessons_lesson_simple_history", args=[concurrency.pk, original.pk])
    editor_client.post(revert, form_fields(editor_client.get(revert), "historicallesson_form"))

    assert search("semaphore", include_drafts=True)
    assert search("regrettable", include_drafts=True) == []


def test_the_index_follows_a_load_lessons_run(client, html):
    call_command("load_lessons", stdout=StringIO())

    rows = found(results(client, "semaphore", html))

    lesson = Lesson.objects.get(slug="limiting-concurrency")
    assert rows[0][0] == "Limiting concurrency"
    assert rows[0][1].startswith(lesson.get_absolute_url() + "#")
    assert "semaphore" in marks(rows[0][2])


def test_the_index_follows_a_title_change(course, concurrency):
    concurrency.title = "Bounded parallelism"
    concurrency.save()

    assert {hit.lesson_title for hit in search("bounded", include_drafts=False)} == {
        "Bounded parallelism"
    }


def test_a_deleted_lesson_leaves_the_index(concurrency):
    concurrency.delete()

    assert search("semaphore", include_drafts=True) == []
    assert not Section.objects.exists()


def test_the_index_lessons_command_indexes_every_lesson_again(concurrency):
    Section.objects.all().delete()
    assert search("semaphore", include_drafts=False) == []

    out = StringIO()
    call_command("index_lessons", stdout=out)

    assert "Indexed 1 lessons." in out.getvalue()
    assert search("semaphore", include_drafts=False)


# ---------------------------------------------------------------------------
# Hostile and odd queries: always an answer, never an error


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"semaphore',
        'semaphore"',
        "sema*",
        "*",
        "^semaphore",
        "semaphore NEAR counter",
        "NEAR(semaphore counter, 2)",
        "semaphore AND OR NOT",
        "AND",
        "(semaphore",
        "semaphore)",
        "title:semaphore",
        "-semaphore",
        "semaphore + counter",
        "{title heading}: semaphore",
        "'; DROP TABLE search_section; --",
        "\\",
        "semaphore\x00",
    ],
)
def test_fts_syntax_in_a_query_is_read_as_words(client, concurrency, html, query):
    page = results(client, query, html)

    assert page.find("h1").text == "Search"
    assert Section.objects.filter(lesson=concurrency).exists()


def test_a_query_of_syntax_and_words_finds_the_words(client, concurrency, html):
    rows = found(results(client, '"semaphore* AND (counter', html))
    # "and" is a word too, but one too common to require (as PostgreSQL's english config has it)

    assert [link for _, link, _ in rows] == [concurrency.get_absolute_url() + "#counting-places"]


@pytest.mark.parametrize("query", ["", "   ", "!!!", "?.,;:", "***", '""', "()"])
def test_a_query_without_words_asks_for_some(client, concurrency, html, query):
    page = results(client, query, html)

    assert found(page) == []
    assert "Type one or more words" in page.text or "no words to search for" in page.text


def test_a_request_without_a_query_shows_the_empty_form(client, html):
    response = client.get(SEARCH_URL)

    assert response.status_code == 200
    assert html(response).find("input", id="search-page-q").attrs["value"] == ""


@pytest.mark.parametrize("query", ["Ünïcödé", "日本語", "🙂", "naïve café", "Straße", "ǅ"])
def test_unicode_queries_get_an_answer(client, concurrency, html, query):
    page = results(client, query, html)

    assert "No lesson mentions" in page.text or "no words to search for" in page.text


def test_unicode_words_are_found(course):
    make_lesson(course, "unicode", "Unicode", "## Café\n\nUn café naïve, 日本語 too.\n")

    assert [hit.heading for hit in search("café", include_drafts=False)] == ["Café"]
    assert [hit.heading for hit in search("naïve", include_drafts=False)] == ["Café"]


def test_a_long_query_is_cut_and_the_page_says_so(client, concurrency, html):
    query = "semaphore " * 190

    page = results(client, query, html)

    assert found(page)  # the first word is still searched
    note = f"only its first {MAX_QUERY_CHARS} were searched"
    assert note in " ".join(page.text.split())
    assert page.find("input", id="search-page-q").attrs["value"] == query[:MAX_QUERY_CHARS]


async def test_ten_kilobytes_of_query_get_the_page_from_the_view():
    request = RequestFactory().get(SEARCH_URL, {"q": "semaphore " * 1_024})

    async def anonymous():
        return AnonymousUser()

    request.auser = anonymous
    response = await views.results(request)

    assert response.status_code == 200
    assert f"only its first {MAX_QUERY_CHARS} were searched" in " ".join(
        response.content.decode().split()
    )


def test_ten_kilobytes_of_query_text_get_an_answer_that_says_what_was_searched(client, course):
    # A pasted paragraph: the search page reads a longer query string than other
    # pages (settings.LONG_QUERY_STRING_BYTES) and searches its first words.
    response = client.get(SEARCH_URL, {"q": "semaphore " * 1_024})

    assert response.status_code == 200
    assert f"only its first {MAX_QUERY_CHARS} were searched" in " ".join(
        response.content.decode().split()
    )


def test_a_query_string_over_the_search_pages_own_limit_gets_the_414_page(client):
    limit = settings.LONG_QUERY_STRING_BYTES[SEARCH_URL]

    assert client.get(SEARCH_URL + "?q=" + "x" * (limit - 2)).status_code == 200
    assert client.get(SEARCH_URL + "?q=" + "x" * (limit - 1)).status_code == 414
    # Other pages keep the site's usual limit.
    assert client.get("/?q=" + "x" * (limit - 2)).status_code == 414


def test_common_words_are_not_required_unless_there_is_nothing_else(course, concurrency):
    assert parse_query("How do I use a semaphore?").terms == ("use", "semaphore")
    assert parse_query("to be or not to be").terms == ("to", "be", "or", "not")
    assert search("where is the semaphore", include_drafts=False)


def test_a_query_of_many_words_searches_the_first_few(concurrency):
    query = parse_query(" ".join(f"word{number}" for number in range(100)))

    assert len(query.terms) == 12
    assert search("semaphore " * 50, include_drafts=False)


def test_only_get_and_head_are_answered(client):
    assert client.post(SEARCH_URL, {"q": "semaphore"}).status_code == 405


# ---------------------------------------------------------------------------
# The pages


def test_every_page_has_a_search_box_in_a_search_landmark(client, course, html):
    for url in ("/", course.get_absolute_url(), SEARCH_URL):
        form = html(client.get(url)).find("form", class_="site-search")
        assert form.attrs["role"] == "search"
        assert form.attrs["method"] == "get"
        assert form.attrs["action"] == SEARCH_URL
        field = form.find("input", name="q")
        label = form.find("label")
        assert label.attrs["for"] == field.attrs["id"]
        assert label.text == "Search the lessons"
        assert field.attrs["maxlength"] == str(MAX_QUERY_CHARS)
        assert form.find("button", type="submit") is not None


def test_the_results_are_on_the_page_as_served_without_scripts(client, concurrency, html):
    response = client.get(SEARCH_URL, {"q": "semaphore"})
    page = html(response)

    main = page.find("main")
    assert main.find("mark") is not None
    assert main.find("script") is None
    assert page.find("title").text.startswith("Search: semaphore")


def test_a_search_shows_what_it_looked_for_escaped(client, concurrency):
    response = client.get(SEARCH_URL, {"q": "<script>alert(1)</script> semaphore"})

    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)" in response.content


# ---------------------------------------------------------------------------
# How each database holds the index


def test_the_fts5_query_quotes_every_word():
    assert match_expression(("semaphore", "near", "and")) == '"semaphore" "near" "and"'


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
def test_on_sqlite_the_index_is_an_fts5_table_with_the_porter_stemmer():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'search_section_fts'")
        (sql,) = cursor.fetchone()
    assert "fts5" in sql
    assert "porter" in sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN index")
def test_on_postgresql_the_vectors_are_stored_and_gin_indexed(concurrency):
    assert not Section.objects.filter(vector__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_section_vector'")
        (indexdef,) = cursor.fetchone()
    assert "USING gin" in indexdef


def test_a_search_over_a_thousand_lessons_is_one_query(course, django_assert_num_queries):
    lessons = Lesson.objects.bulk_create(
        Lesson(
            course=course,
            slug=f"l{number}",
            title=f"Lesson {number}",
            body="",
            position=number,
            status=Lesson.Status.PUBLISHED,
        )
        for number in range(1_000)
    )
    text = "Tasks wait at a semaphore while others run. " * 20
    Section.objects.bulk_create(
        Section(
            lesson=lesson,
            position=position,
            heading_id=f"part-{position}",
            heading=f"Part {position}",
            title=lesson.title,
            text=text,
        )
        for lesson in lessons
        for position in range(3)
    )
    from search.backends import backend_for

    backend_for(connection).rows_written(Section.objects.all())

    # One statement, however many lessons match; how fast is make bench's (search).
    with django_assert_num_queries(1):
        hits = search("semaphore", include_drafts=False)

    assert len({hit.lesson_id for hit in hits}) == MAX_LESSONS
    assert len(hits) == MAX_LESSONS * SECTIONS_PER_LESSON
