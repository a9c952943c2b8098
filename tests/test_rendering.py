"""Lesson Markdown to safe HTML: CommonMark and tables, highlighting, anchors, demos, sanitizing."""

import json
import time
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from lessons import rendering
from lessons.models import Lesson
from lessons.rendering import (
    MAX_HIGHLIGHTED_LINE,
    MAX_HIGHLIGHTED_TOKENS,
    RESERVED_IDS,
    WORDS_PER_MINUTE,
    DemoBlockError,
    render_markdown,
)
from live.models import DemoRun

# ---------------------------------------------------------------------------
# Markdown


def test_it_renders_commonmark(html):
    out = render_markdown("Some *emphasis*, **strong** and `code`.\n\n- one\n- two\n").html

    assert "<em>emphasis</em>" in out
    assert "<strong>strong</strong>" in out
    assert "<code>code</code>" in out
    assert [li.text for li in html(out).find_all("li")] == ["one", "two"]


def test_it_renders_tables(html):
    page = html(render_markdown("| Mode | Time |\n|---|---|\n| sync | 6 s |\n").html)

    table = page.find("table")
    assert [th.text for th in table.find("thead").find_all("th")] == ["Mode", "Time"]
    assert [td.text for td in table.find("tbody").find_all("td")] == ["sync", "6 s"]


def test_it_highlights_fenced_code_on_the_server(html):
    page = html(render_markdown("```python\nasync def main():\n    pass\n```\n").html)

    code = page.find("pre", class_="highlight").find("code")
    assert code.attrs["class"] == "language-python"
    keywords = [span.text for span in code.find_all("span", class_="k")]
    assert "async" in keywords
    assert "def" in keywords
    assert code.text == "async def main():\n    pass\n"


def test_code_in_an_unknown_language_is_shown_as_plain_text(html):
    page = html(render_markdown("```nosuchlanguage\nx = 1\n```\n").html)

    assert page.find("pre", class_="highlight").find("code").text == "x = 1\n"


def highlighted(out: str, html) -> list[bool]:
    """For each code block of ``out``: whether it holds highlighting spans."""
    return [bool(code.find_all("span")) for code in html(out).find_all("code")]


def cpu_seconds(function, *args):
    started = time.process_time()
    result = function(*args)
    return time.process_time() - started, result


@pytest.mark.parametrize(
    "lang", ["python", "py", "pycon", "pytb", "console", "bash", "json", "yaml", "toml", "sql"]
)
def test_the_languages_of_lessons_are_highlighted(lang, html):
    out = render_markdown(f"```{lang}\nx = 'a' # b: [1]\n```\n").html

    assert highlighted(out, html) == [True]


def test_code_in_a_language_outside_the_list_is_shown_plain_and_costs_little(html):
    # 3 KB of tabs took the AutoHotkey lexer 9 s: some lexers backtrack for ages.
    code = "\t\n" * 1500 + "x"

    cpu, rendered = cpu_seconds(render_markdown, f"```autohotkey\n{code}\n```\n")

    assert highlighted(rendered.html, html) == [False]
    assert html(rendered.html).find("code").attrs["class"] == "language-autohotkey"
    assert cpu < 2.0  # measured: 5 ms


def test_python_made_of_blank_indented_lines_highlights_in_linear_time(html):
    # Python's lexer backtracked across lines holding only spaces or tabs: 12 KB, 4.6 s.
    code = "\t\n  \n" * 3000 + "x = 1"

    cpu, rendered = cpu_seconds(render_markdown, f"```python\n{code}\n```\n")

    assert highlighted(rendered.html, html) == [True]
    assert cpu < 2.0  # measured: 30 ms


def test_trailing_spaces_are_dropped_from_code(html):
    out = render_markdown("```python\nx = 1   \n\t\ny = 2\t\n```\n").html

    assert html(out).find("code").text == "x = 1\n\ny = 2\n"


def test_a_code_block_with_a_very_long_line_is_shown_plain(html):
    short = "x = 1\n"
    at_limit = "x = '" + "a" * (MAX_HIGHLIGHTED_LINE - 6) + "'\n"
    too_long = "x = '" + "a" * (MAX_HIGHLIGHTED_LINE - 5) + "'\n"
    body = "".join(f"```python\n{code}```\n\n" for code in (short, at_limit, too_long))

    out = render_markdown(body).html

    assert highlighted(out, html) == [True, True, False]
    assert html(out).find_all("code")[2].text == too_long


def python_with_tokens(count: int) -> str:
    """Python code that Pygments splits into ``count`` tokens (ten a line)."""
    assert count % 10 == 0
    return "x = [1,2]\n" * (count // 10)


def test_highlighting_stops_at_the_lessons_token_budget_and_the_rest_is_plain(html):
    blocks = [
        python_with_tokens(MAX_HIGHLIGHTED_TOKENS - 100),
        python_with_tokens(100),  # exactly the budget so far
        python_with_tokens(10),  # over it
        python_with_tokens(10),  # a budget once spent stays spent
    ]
    out = render_markdown("".join(f"```python\n{code}```\n\n" for code in blocks)).html

    assert highlighted(out, html) == [True, True, False, False]
    assert [code.text for code in html(out).find_all("code")] == blocks


def test_html_inside_a_code_block_is_shown_not_run(html):
    out = render_markdown("```html\n<script>alert(1)</script>\n```\n").html

    assert "<script" not in out
    assert "<script>alert(1)</script>" in html(out).find("code").text


# ---------------------------------------------------------------------------
# Headings and the table of contents


BODY_WITH_HEADINGS = """\
# The big picture

## First part

### A detail with `code`

#### Too deep for the contents

## First part
"""


def test_h2_and_h3_headings_get_anchors_listed_in_the_toc():
    rendered = render_markdown(BODY_WITH_HEADINGS)

    assert rendered.toc == [
        {"id": "the-big-picture", "title": "The big picture", "level": 2},
        {"id": "first-part", "title": "First part", "level": 2},
        {"id": "a-detail-with-code", "title": "A detail with code", "level": 3},
        {"id": "first-part-1", "title": "First part", "level": 2},
    ]


def test_toc_entries_point_at_headings_in_the_html(html):
    rendered = render_markdown(BODY_WITH_HEADINGS)
    page = html(rendered.html)

    ids = [h.attrs.get("id") for h in page.iter() if h.tag in {"h2", "h3"}]
    assert ids == [entry["id"] for entry in rendered.toc]
    assert len(set(ids)) == len(ids)


def test_thousands_of_repeated_headings_are_numbered_in_linear_time():
    # Past the size limit, so the Markdown parser is called alone.
    body = "## Step\n" * 10_000 + "## Step 1\n"

    started = time.process_time()
    tokens = rendering._MD.parse(body, {})
    cpu = time.process_time() - started

    ids = [token.attrGet("id") for token in tokens if token.type == "heading_open"]
    assert ids[:3] == ["step", "step-1", "step-2"]
    assert ids[-2] == "step-9999"
    assert ids[-1] == "step-1-1"  # its own slug was taken by a repeat
    # Measured: 0.4 s; counting from 1 again for every repeat took 25 s.
    assert cpu < 5.0


@pytest.mark.parametrize("reserved", sorted(RESERVED_IDS))
@pytest.mark.parametrize("tag", ["h2", "h3", "h4"])
def test_raw_html_cannot_take_an_id_the_page_uses(reserved, tag, html):
    rendered = render_markdown(f'<{tag} id="{reserved}">Raw</{tag}>\n\n## {reserved}\n')

    page = html(rendered.html)
    assert [e.attrs.get("id") for e in page.iter() if e.tag in {"h2", "h3", "h4"}] == [
        None,  # the raw heading keeps its text, not the id
        f"{reserved}-section",
    ]
    assert [entry["id"] for entry in rendered.toc] == [f"{reserved}-section"]


def test_an_id_is_recognized_however_its_html_writes_it(html):
    out = render_markdown('<h2 id="&#109;ain">Entity</h2>\n\n<h3 ID=main>Capitals</h3>\n').html

    assert all("id" not in e.attrs for e in html(out).iter())


def test_raw_html_cannot_take_a_heading_anchor_before_or_after_it(html):
    body = '<h3 id="why">Raw first</h3>\n\n## Why\n\n<h4 id="why">Raw after</h4>\n'

    rendered = render_markdown(body)

    headings = [e for e in html(rendered.html).iter() if e.tag in {"h2", "h3", "h4"}]
    ids = [(e.tag, e.attrs.get("id")) for e in headings]
    assert ids == [("h3", None), ("h2", "why"), ("h4", None)]
    assert rendered.toc == [{"id": "why", "title": "Why", "level": 2}]


def test_a_raw_id_of_its_own_is_kept_once(html):
    out = render_markdown('<h4 id="aside">One</h4><h4 id="aside">Two</h4>\n').html

    assert [e.attrs.get("id") for e in html(out).find_all("h4")] == ["aside", None]


@pytest.mark.django_db
def test_every_id_on_a_lesson_page_is_unique_and_every_toc_link_finds_its_heading(
    client, course, html
):
    raw = "".join(f'<h2 id="{reserved}">Raw {reserved}</h2>\n' for reserved in RESERVED_IDS)
    titles = "".join(f"## {reserved}\n\nText.\n\n" for reserved in sorted(RESERVED_IDS))
    lesson = Lesson.objects.create(
        course=course,
        slug="ids",
        title="Ids",
        status=Lesson.Status.PUBLISHED,
        body=raw + "\n" + titles + "```demo\nname: sleep\n```\n",
    )
    DemoRun.objects.create(  # so that the page shows its "Runs so far" section too
        demo="sleep", mode="async", params={}, status="ok", elapsed=1.0, timeline=[]
    )

    page = html(client.get(lesson.get_absolute_url()))

    ids = [e.attrs["id"] for e in page.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), ids
    assert set(RESERVED_IDS) - {"content", "top"} <= set(ids)  # the page's own, once each
    links = [a.attrs["href"][1:] for a in page.find("nav", class_="toc").find_all("a")]
    assert len(links) == len(RESERVED_IDS)
    assert set(links) <= set(ids)


# The page's title is its one h1: a body's h1 comes out as an h2, every other level as is.
LEVELS = [(1, "h2"), (2, "h2"), (3, "h3"), (4, "h4"), (5, "h5"), (6, "h6")]
HEADING_SOURCES = {
    "markdown": lambda n: f"{'#' * n} A heading\n\nText.\n",
    "raw html block": lambda n: f"<h{n}>A heading</h{n}>\n\nText.\n",
    "raw html inline": lambda n: f"Text <h{n}>A heading</h{n}> more.\n",
    "raw html with attributes": lambda n: f'<H{n} class="x"\n>A heading</H{n} >\n',
}


@pytest.mark.parametrize("source", HEADING_SOURCES.values(), ids=HEADING_SOURCES.keys())
@pytest.mark.parametrize(("level", "tag"), LEVELS)
def test_no_heading_loses_its_element(source, level, tag, html):
    out = render_markdown(source(level)).html

    headings = [e for e in html(out).iter() if e.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}]
    assert [(e.tag, e.text) for e in headings] == [(tag, "A heading")], out
    assert "<h1" not in out.lower()


@pytest.mark.parametrize("markdown", ["# Big picture\n", "Big picture\n===\n"])
def test_a_level_one_heading_gets_an_anchor_and_a_toc_entry(markdown, html):
    rendered = render_markdown(markdown + "\nText.\n\n## Big picture\n")

    ids = [e.attrs.get("id") for e in html(rendered.html).find_all("h2")]
    assert ids == ["big-picture", "big-picture-1"]
    assert rendered.toc == [
        {"id": "big-picture", "title": "Big picture", "level": 2},
        {"id": "big-picture-1", "title": "Big picture", "level": 2},
    ]


def test_an_h1_shown_in_code_stays_as_written(html):
    out = render_markdown("```html\n<h1>Title</h1>\n```\n\nUse `<h1>` once.\n").html

    page = html(out)
    assert page.find("pre").text == "<h1>Title</h1>\n"
    assert page.find("p").find("code").text == "<h1>"
    assert page.find("h2") is None


@pytest.mark.django_db
def test_toc_titles_are_escaped_on_the_page(client, course, html):
    lesson = Lesson.objects.create(
        course=course,
        slug="tags",
        title="Tags",
        status=Lesson.Status.PUBLISHED,
        body="## Never use `<script>` here\n\nText.\n",
    )

    page = html(client.get(lesson.get_absolute_url()))

    toc = page.find("nav", class_="toc")
    assert toc.find("script") is None
    assert "Never use <script> here" in toc.text


# ---------------------------------------------------------------------------
# Sanitizing: nothing an author writes runs in a reader's browser.

DANGEROUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<a href="https://example.com" onclick="alert(1)">click</a>',
    '<div onmouseover="alert(1)">hover</div>',
    '<body onload="alert(1)">',
    "<details open ontoggle=alert(1)><summary>s</summary>x</details>",
    '<a href="javascript:alert(1)">raw</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">hex entity</a>',
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<a href=" javascript:alert(1)">leading space</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "[markdown link](javascript:alert(1))",
    "[markdown link](JaVaScRiPt:alert(1))",
    "[entity link](&#106;avascript:alert(1))",
    "<javascript:alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><input name="password"><button>Go</button></form>',
    '<p style="position:fixed;top:0">overlay</p>',
    '<span style="color:red">red</span>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # <svg> and <math> never reach the sanitizer: test_body_limits.py checks they are refused.
    "![img](javascript:alert(1))",
    '<img src="javascript:alert(1)">',
]
FORBIDDEN_TAGS = {
    "script", "iframe", "style", "object", "embed", "form", "input", "button", "meta",
    "base", "link", "svg", "math", "body",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data"}


def assert_safe(out: str, html) -> None:
    assert "<script" not in out.lower()
    for element in html(out).iter():
        assert element.tag not in FORBIDDEN_TAGS, out
        for name, value in element.attrs.items():
            assert not name.startswith("on"), out
            assert name != "style", out
            if name in URL_ATTRIBUTES and value:
                # Only web and mail links, or relative ones (no scheme at all).
                url = "".join(value.split()).lower()
                scheme_free = ":" not in url.split("/")[0]
                assert url.startswith(("http://", "https://", "mailto:")) or scheme_free, out


@pytest.mark.parametrize("markup", DANGEROUS)
def test_it_strips_anything_that_could_run_script(markup, html):
    assert_safe(render_markdown(f"Before.\n\n{markup}\n\nAfter.\n").html, html)


@pytest.mark.parametrize("markup", DANGEROUS)
def test_it_strips_script_vectors_inline_too(markup, html):
    assert_safe(render_markdown(f"Some text {markup} more text.\n").html, html)


def test_images_with_data_urls_are_refused(html):
    out = render_markdown(
        "![pixel](data:image/png;base64,iVBORw0KGgo=)\n\n"
        '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="svg">\n'
    ).html

    images = html(out).find_all("img")
    assert len(images) == 2
    assert all(not (img.attrs.get("src") or "").startswith("data:") for img in images)


def test_links_open_safely(html):
    link = html(render_markdown("[docs](https://docs.python.org/3/)\n").html).find("a")

    assert link.attrs["href"] == "https://docs.python.org/3/"
    assert set(link.attrs["rel"].split()) >= {"noopener", "noreferrer"}


@pytest.mark.parametrize(
    ("markup", "tag"),
    [
        ("Press <kbd>Ctrl</kbd>+<kbd>C</kbd>.", "kbd"),
        ("<details><summary>Answer</summary>It waits.</details>", "details"),
        ("H<sub>2</sub>O and x<sup>2</sup>", "sub"),
        ('<abbr title="Global Interpreter Lock">GIL</abbr>', "abbr"),
        ("<del>old</del>", "del"),
    ],
)
def test_allowed_raw_html_survives(markup, tag, html):
    assert html(render_markdown(markup + "\n").html).find(tag) is not None


def test_html_comments_are_dropped():
    assert "secret note" not in render_markdown("<!-- secret note -->\n\nText.\n").html


# ---------------------------------------------------------------------------
# Demo blocks


def test_a_demo_block_becomes_a_placeholder_with_its_parameters(html):
    rendered = render_markdown("Intro.\n\n```demo\nname: sleep\ntasks: 3\nseconds: 2\n```\n")

    (div,) = html(rendered.html).find_all("div", class_="demo")
    assert div.attrs["data-demo"] == "sleep"
    assert json.loads(div.attrs["data-params"]) == {"tasks": 3, "seconds": 2.0}
    assert "JavaScript" in div.find("p", class_="demo-fallback").text
    assert rendered.demos == ["sleep"]


def test_a_demo_block_keeps_city_lists_as_json(html):
    rendered = render_markdown("```demo\nname: weather\ncities: [Paris, lyon]\n```\n")

    (div,) = html(rendered.html).find_all("div", class_="demo")
    assert json.loads(div.attrs["data-params"]) == {"cities": ["paris", "lyon"]}


def test_a_demo_block_without_parameters_leaves_the_defaults_to_the_widget(html):
    (div,) = html(render_markdown("```demo\nname: blocking\n```\n").html).find_all("div")

    assert div.attrs["data-demo"] == "blocking"
    assert json.loads(div.attrs["data-params"]) == {}


def test_every_demo_of_a_lesson_is_listed_in_order():
    body = "```demo\nname: weather\n```\n\ntext\n\n```demo\nname: sleep\n```\n"

    assert render_markdown(body).demos == ["weather", "sleep"]


def test_a_bad_demo_block_is_refused():
    with pytest.raises(DemoBlockError, match="nosuch"):
        render_markdown("```demo\nname: nosuch\n```\n")


def test_raw_html_cannot_smuggle_in_an_unchecked_demo(html):
    # Only a ```demo block is validated; a hand-written placeholder must not
    # reach the widget with a demo name or parameters nobody checked.
    rendered = render_markdown(
        '<div class="demo" data-demo="nosuch" data-params=\'{"tasks": 1000}\'>x</div>\n'
    )

    for element in html(rendered.html).iter():
        assert "data-demo" not in element.attrs
        assert "data-params" not in element.attrs
    assert rendered.demos == []


# ---------------------------------------------------------------------------
# Reading time


def words(count: int) -> str:
    return " ".join(["word"] * count) + "\n"


@pytest.mark.parametrize(
    ("count", "minutes"),
    [(0, 1), (1, 1), (WORDS_PER_MINUTE, 1), (WORDS_PER_MINUTE + 1, 2), (5 * WORDS_PER_MINUTE, 5)],
)
def test_reading_minutes_round_up_from_the_word_count(count, minutes):
    assert render_markdown(words(count)).reading_minutes == minutes


def test_demo_blocks_do_not_count_as_words():
    cities = ", ".join(f"city{i}" for i in range(10))
    demo = f"```demo\nname: weather\ncities: {cities}\n```\n"

    assert render_markdown(words(50) + "\n" + demo).words == render_markdown(words(50)).words


def test_code_counts_for_less_than_prose():
    code = "```python\n" + words(100) + "```\n"

    assert 0 < render_markdown(code).words < render_markdown(words(100)).words


# ---------------------------------------------------------------------------
# Rendering happens when a lesson is saved, not when it is read.


@pytest.mark.django_db
def test_saving_a_lesson_stores_its_rendered_html(course):
    lesson = Lesson.objects.create(
        course=course,
        slug="saved",
        title="Saved",
        body="## Part\n\n" + words(450) + "\n```demo\nname: sleep\n```\n",
    )

    lesson.refresh_from_db()
    assert '<h2 id="part">Part</h2>' in lesson.body_html
    assert lesson.toc == [{"id": "part", "title": "Part", "level": 2}]
    assert lesson.reading_minutes == 3
    assert lesson.demo_names == ["sleep"]


@pytest.mark.django_db
def test_saving_a_changed_body_renders_it_again(lessons):
    lesson = lessons.intro
    lesson.body = "## Fresh start\n\nNew words.\n"
    lesson.save()

    lesson.refresh_from_db()
    assert "Fresh start" in lesson.body_html
    assert "Why wait" not in lesson.body_html
    assert lesson.toc == [{"id": "fresh-start", "title": "Fresh start", "level": 2}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "derived_fields",
    [Lesson.DERIVED_FIELDS[:-1], (*Lesson.DERIVED_FIELDS, "summary")],
    ids=["one left out", "one too many"],
)
def test_every_save_fails_while_render_and_derived_fields_disagree(
    course, monkeypatch, derived_fields
):
    monkeypatch.setattr(Lesson, "DERIVED_FIELDS", derived_fields)

    with pytest.raises(ImproperlyConfigured, match="DERIVED_FIELDS"):
        Lesson.objects.create(course=course, slug="saved", title="Saved", body="Text.\n")


@pytest.mark.django_db
def test_pages_do_not_render_markdown_per_request(client, lessons, html):
    boom = mock.Mock(side_effect=AssertionError("Markdown rendered during a request"))
    with (
        mock.patch("lessons.rendering.render_markdown", boom),
        mock.patch("lessons.models.render_markdown", boom),
    ):
        response = client.get(lessons.intro.get_absolute_url())

    assert response.status_code == 200
    assert "Waiting is what programs do most." in html(response).find(class_="lesson-body").text
    boom.assert_not_called()


@pytest.mark.django_db
def test_a_lesson_with_a_bad_demo_block_does_not_validate(course):
    lesson = Lesson(course=course, slug="bad", title="Bad", body="```demo\nname: nosuch\n```\n")

    with pytest.raises(ValidationError) as caught:
        lesson.full_clean()

    assert "nosuch" in str(caught.value.message_dict["body"])
