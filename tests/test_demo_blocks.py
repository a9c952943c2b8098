"""Demo blocks in lesson Markdown: checked against the registry and the demos' own bounds."""

import itertools
import time
import tracemalloc

import pytest
from django.urls import reverse

from lessons.demo_blocks import MAX_DEMO_BLOCK_BYTES, DemoBlock, DemoBlockError, parse_demo_block
from lessons.models import Lesson

KNOWN = (
    "background, blocking, cpu_work, debug_mode, future, one_fails, order, pages, queue, "
    "semaphore, several_fail, sleep, streaming, streams, testing, timeouts, weather"
)

# ---------------------------------------------------------------------------
# Valid blocks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: sleep\n", DemoBlock("sleep", {})),
        ("name: sleep\ntasks: 3\nseconds: 2\n", DemoBlock("sleep", {"tasks": 3, "seconds": 2.0})),
        (
            "name: sleep\ntasks: 1\nseconds: 0.05\n",
            DemoBlock("sleep", {"tasks": 1, "seconds": 0.05}),
        ),
        ("name: sleep\ntasks: 10\nseconds: 5\n", DemoBlock("sleep", {"tasks": 10, "seconds": 5.0})),
        (
            "name: blocking\ntasks: 2\nblock: 0.5\n",
            DemoBlock("blocking", {"tasks": 2, "block": 0.5}),
        ),
        ("name: weather\n", DemoBlock("weather", {})),
    ],
)
def test_it_accepts_a_valid_block(text, expected):
    assert parse_demo_block(text) == expected


def test_it_accepts_cities_as_a_yaml_list():
    block = parse_demo_block("name: weather\ncities:\n  - Paris\n  - saint-etienne\n")

    assert block.params == {"cities": ["paris", "saint-etienne"]}


def test_it_accepts_cities_as_a_comma_separated_string():
    block = parse_demo_block('name: weather\ncities: "paris, Lyon ,nice"\n')

    assert block.params == {"cities": ["paris", "lyon", "nice"]}


def test_it_accepts_ten_cities():
    cities = ", ".join(f"city{i}" for i in range(10))

    assert len(parse_demo_block(f"name: weather\ncities: {cities}\n").params["cities"]) == 10


# ---------------------------------------------------------------------------
# Blocks that name no known demo


def test_an_unknown_demo_is_refused_naming_it_and_the_known_demos():
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block("name: teleport\n")

    message = str(caught.value)
    assert "'teleport'" in message
    assert KNOWN in message


def test_a_block_without_a_name_is_refused_listing_the_known_demos():
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block("tasks: 3\n")

    assert '"name:"' in str(caught.value)
    assert KNOWN in str(caught.value)


@pytest.mark.parametrize("text", ["name: 3\n", "name: [sleep]\n", "name: {a: b}\n", "name: yes\n"])
def test_a_name_that_is_not_text_is_an_unknown_demo(text):
    with pytest.raises(DemoBlockError, match="unknown demo"):
        parse_demo_block(text)


def test_a_very_long_unknown_name_is_cut_in_the_message():
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block("name: " + "x" * 5000 + "\n")

    assert len(str(caught.value)) < 200


# ---------------------------------------------------------------------------
# Blocks that are not key: value lines


def test_a_block_that_is_not_yaml_is_refused():
    with pytest.raises(DemoBlockError, match="not valid YAML"):
        parse_demo_block("name: [sleep\n")


@pytest.mark.parametrize("text", ["- sleep\n- weather\n", "just words\n", "42\n", "", "\n"])
def test_a_block_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(DemoBlockError, match="key: value"):
        parse_demo_block(text)


# ---------------------------------------------------------------------------
# Blocks that would cost the server more than they say


def billion_laughs(levels: int) -> str:
    """Each level a list of nine aliases of the one before: 9**levels strings, from ~40 bytes
    a level. PyYAML shares the aliased lists, but anything that walks the result expands it."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijk"[:levels]
    for previous, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    lines.append(f"name: *{names[-1]}")
    return "\n".join(lines) + "\n"


def test_a_demo_block_with_yaml_aliases_is_refused_before_it_costs_anything():
    bomb = billion_laughs(8)  # 43 million strings; before the fix, 11 s and 370 MB
    assert len(bomb.encode()) < 400

    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(DemoBlockError, match="anchors and aliases") as caught:
            parse_demo_block(bomb)
        cpu = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # Measured: about 2 ms and 40 KB. The bounds only catch the structure being built.
    assert cpu < 1.0
    assert peak < 5_000_000
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "text",
    [
        "name: &demo sleep\n",
        "name: sleep\ntasks: &n 3\n",
        "name: sleep\ncities: &c [paris]\nmore: *c\n",
        "defaults: &d {tasks: 3}\nname: sleep\n<<: *d\n",
    ],
)
def test_a_demo_block_with_any_anchor_or_alias_is_refused(text):
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block(text)

    assert str(caught.value) == (
        "demo block: YAML anchors and aliases (&name, *name) are not allowed; write each value out"
    )


def test_a_deeply_nested_demo_block_is_refused_naming_the_limit():
    # 900 levels: deep enough to exhaust PyYAML's recursive composer.
    text = "name: sleep\ntasks: " + "[" * 900 + "]" * 900 + "\n"

    with pytest.raises(DemoBlockError, match="may nest at most 4 deep"):
        parse_demo_block(text)


def test_a_block_nested_as_deep_as_allowed_is_checked_as_usual():
    with pytest.raises(DemoBlockError, match="each city must be"):
        parse_demo_block("name: weather\ncities: [[[paris]]]\n")


def padded_block(size: int) -> str:
    """A valid sleep block of exactly ``size`` bytes, padded with a YAML comment."""
    start = "name: sleep\n# "
    return start + "x" * (size - len(start) - 1) + "\n"


def test_a_demo_block_over_the_size_limit_is_refused_naming_its_size():
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block(padded_block(MAX_DEMO_BLOCK_BYTES + 1))

    assert str(caught.value) == "demo block holds 2,001 bytes; at most 2,000 are allowed"


def test_a_demo_block_at_the_size_limit_is_accepted():
    assert parse_demo_block(padded_block(MAX_DEMO_BLOCK_BYTES)) == DemoBlock("sleep", {})


def test_a_demo_block_is_measured_in_bytes_not_characters():
    text = "name: sleep\n# " + "é" * 1000 + "\n"  # 1,015 characters, 2,015 bytes

    with pytest.raises(DemoBlockError, match="2,015 bytes"):
        parse_demo_block(text)


# ---------------------------------------------------------------------------
# Parameters


@pytest.mark.parametrize(
    ("line", "field", "bounds"),
    [
        ("tasks: 0", "tasks", "1 to 10"),
        ("tasks: 11", "tasks", "1 to 10"),
        ("tasks: -1", "tasks", "1 to 10"),
        ("seconds: 0.01", "seconds", "0.05 to 5"),
        ("seconds: 6", "seconds", "0.05 to 5"),
        ("seconds: .inf", "seconds", "0.05 to 5"),
        ("seconds: .nan", "seconds", "0.05 to 5"),
    ],
)
def test_an_out_of_range_parameter_is_refused_naming_field_and_bounds(line, field, bounds):
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block(f"name: sleep\n{line}\n")

    message = str(caught.value)
    assert "'sleep'" in message
    assert field in message
    assert bounds in message


def test_bounds_are_those_of_the_named_demo():
    with pytest.raises(DemoBlockError, match="tasks must be from 2 to 5"):
        parse_demo_block("name: blocking\ntasks: 1\n")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('tasks: "three"', "tasks"),
        ("tasks: three", "tasks"),
        ("tasks: true", "tasks"),
        ("tasks: 2.5", "tasks"),
        ("tasks: [1, 2]", "tasks"),
        ("tasks:", "tasks"),
        ('seconds: "fast"', "seconds"),
        ("seconds: false", "seconds"),
    ],
)
def test_a_parameter_of_the_wrong_type_is_refused(line, field):
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block(f"name: sleep\n{line}\n")

    assert f"{field} must be a" in str(caught.value)


def test_an_unknown_parameter_is_refused_naming_it_and_the_known_ones():
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block("name: sleep\ntasks: 2\nspeed: 9\n")

    message = str(caught.value)
    assert "'speed'" in message
    assert "tasks, seconds" in message


def test_a_parameter_of_another_demo_is_unknown():
    with pytest.raises(DemoBlockError, match="'cities'"):
        parse_demo_block("name: sleep\ncities: paris\n")


@pytest.mark.parametrize(
    "cities",
    [
        '"../x"',
        "[../x]",
        "x" * 41,
        '"a b"',
        "[paris, a b]",
        '"paris;rm -rf"',
        "[paris, 3]",
        '["paris\\n"]',  # a trailing newline, which "$" alone lets through
    ],
)
def test_an_invalid_city_name_is_refused(cities):
    with pytest.raises(DemoBlockError) as caught:
        parse_demo_block(f"name: weather\ncities: {cities}\n")

    assert "each city must be 1 to 40 letters, digits or hyphens" in str(caught.value)


@pytest.mark.parametrize(
    "cities",
    [", ".join(f"city{i}" for i in range(11)), "[]", '""', '" , "'],
)
def test_a_city_list_of_the_wrong_length_is_refused(cities):
    with pytest.raises(DemoBlockError, match="cities must hold 1 to 10 city names"):
        parse_demo_block(f"name: weather\ncities: {cities}\n")


def test_cities_that_are_neither_a_list_nor_text_are_refused():
    with pytest.raises(DemoBlockError, match="cities must be a list"):
        parse_demo_block("name: weather\ncities: {paris: 1}\n")


# ---------------------------------------------------------------------------
# In the admin: a bad block is a form error on the body, never a 500, never saved.

BAD_BLOCKS = [
    ("```demo\nname: teleport\n```\n", "unknown demo &#x27;teleport&#x27;"),
    ("```demo\nname: sleep\ntasks: 11\n```\n", "tasks must be from 1 to 10, got 11"),
    ("```demo\nname: [sleep\n```\n", "demo block is not valid YAML"),
    ("```demo\n- sleep\n```\n", "demo block must be lines of"),
    ("```demo\ntasks: 3\n```\n", "demo block needs a"),
    ("```demo\nname: weather\ncities: ../x\n```\n", "each city must be 1 to 40 letters"),
    ("```demo\nname: &n sleep\n```\n", "are not allowed; write each value out"),
    ("```demo\n" + billion_laughs(8) + "```\n", "YAML anchors and aliases"),
    ("```demo\n" + padded_block(2_001) + "```\n", "demo block holds 2,001 bytes"),
]


def body_errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(form.errors.get("body", []))


@pytest.mark.django_db
@pytest.mark.parametrize(("block", "message"), BAD_BLOCKS)
def test_admin_refuses_to_add_a_lesson_with_a_bad_demo_block(block, message, editor_client, course):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": course.pk,
            "title": "Broken",
            "slug": "broken",
            "summary": "",
            "body": "Intro.\n\n" + block,
            "position": 1,
            "status": "published",
            "opened_version": "",
        },
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert body_errors(response)
    assert not Lesson.objects.filter(slug="broken").exists()
    assert Lesson.history.filter(slug="broken").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("block", "message"), BAD_BLOCKS)
def test_admin_refuses_to_save_a_bad_demo_block_into_a_lesson(
    block, message, editor_client, lessons, form_fields
):
    lesson = lessons.intro
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    before = Lesson.objects.values().get(pk=lesson.pk)
    history_before = lesson.history.count()
    data = form_fields(editor_client.get(url), "lesson_form")
    data["body"] = before["body"] + "\n" + block

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert message.replace("&#x27;", "'") in body_errors(response)
    assert Lesson.objects.values().get(pk=lesson.pk) == before
    assert lesson.history.count() == history_before
