"""Claims: numbers a lesson states about a run, which the site measures instead of trusting.

The tests marked ``measured`` run demos for real (sleeps of a tenth of a second,
and the bundled lessons' own claims, about 11 s side by side).
"""

import re
import time
from dataclasses import replace

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from lessons import admin, claim_checks
from lessons.claim_checks import Located, check_now
from lessons.claims import ClaimError, parse_claim
from lessons.content_loader import CONTENT_DIR, FRONT_MATTER, ContentError, read_bundle
from lessons.models import ClaimCheck, Lesson
from lessons.rendering import _MD, render_markdown

# Two tasks of 0.05 s: 0.1 s one after the other, 0.05 s together.
QUICK_SYNC = "{{claim sleep sync tasks=2 seconds=0.05 -> 0.1 s ±40%}}"
WRONG = "{{claim sleep sync tasks=2 seconds=0.05 -> 0.3 s ±10%}}"


# ---------------------------------------------------------------------------
# Syntax


def test_a_claim_names_its_demo_mode_parameters_value_and_tolerance():
    claim = parse_claim("{{claim sleep sync tasks=3 seconds=2 -> 6 s ±10%}}")

    assert (claim.demo, claim.mode, claim.params) == ("sleep", "sync", {"tasks": 3, "seconds": 2.0})
    assert (claim.value, claim.unit, claim.shown) == (6.0, "s", "6 s")
    assert claim.tolerance == pytest.approx(0.6)
    assert claim.holds(6.5)
    assert not claim.holds(6.7)


def test_the_arrow_and_plus_minus_may_be_typed_in_ascii_or_not():
    typed = parse_claim("{{claim sleep async tasks=3 seconds=2 → 2 s ±10%}}")
    ascii_only = parse_claim("{{claim sleep async tasks=3 seconds=2 -> 2 s +-10%}}")

    assert replace(typed, source="") == replace(ascii_only, source="")


def test_parameters_left_out_take_the_demos_defaults():
    assert parse_claim("{{claim sleep async -> 2 s ±10%}}").params == {"tasks": 3, "seconds": 2.0}


def test_a_tolerance_may_be_absolute():
    claim = parse_claim("{{claim sleep async seconds=0.5 -> 0.5 s ±0.1 s}}")
    assert claim.tolerance == pytest.approx(0.1)
    assert claim.tolerance_text == "±0.1 s"


def test_a_ratio_claim_compares_the_sync_run_with_the_async_one():
    claim = parse_claim("{{claim sleep sync/async tasks=3 seconds=0.5 -> 3x ±15%}}")

    assert claim.shown == "3x"
    assert [key[1] for key in claim.runs] == ["sync", "async"]
    assert claim.measured_value({"sync": 1.5, "async": 0.5}) == pytest.approx(3.0)


MALFORMED = [
    ("{{claim teleport sync -> 6 s ±10%}}", "unknown demo 'teleport'"),
    ("{{claim sleep fast -> 6 s ±10%}}", "the mode must be sync, async or sync/async"),
    ("{{claim sleep sync tasks=11 -> 6 s ±10%}}", "tasks must be from 1 to 10, got 11"),
    ("{{claim sleep sync workers=2 -> 6 s ±10%}}", "unknown parameter 'workers'"),
    ("{{claim sleep sync tasks=two -> 6 s ±10%}}", "tasks must be a whole number"),
    ("{{claim sleep sync tasks=3 tasks=4 -> 6 s ±10%}}", "sets tasks twice"),
    ("{{claim sleep sync -> 6 s}}", "is not of the form"),
    ("{{claim sleep sync 6 s ±10%}}", "is not of the form"),
    ("{{claim sleep sync -> 6x ±10%}}", "a sync or async claim is in seconds"),
    ("{{claim sleep sync/async -> 3 s ±10%}}", "a sync/async claim is a ratio"),
    ("{{claim sleep sync -> 6 s ±1x}}", "the tolerance must be in % or in s"),
    ("{{claim sleep sync -> 0 s ±10%}}", "must be more than 0"),
]


@pytest.mark.parametrize(("claim", "message"), MALFORMED)
def test_a_malformed_claim_is_refused_with_a_message_that_quotes_it(claim, message):
    with pytest.raises(ClaimError) as caught:
        render_markdown(f"It takes about {claim}.\n")

    assert message in str(caught.value)
    assert claim[:40] in str(caught.value)


def test_an_unclosed_claim_is_refused():
    with pytest.raises(ClaimError, match='has no closing "}}"'):
        render_markdown("It takes about {{claim sleep sync -> 6 s ±10%.\n")


# ---------------------------------------------------------------------------
# Rendering


def test_a_claim_renders_as_its_number_and_unit_with_a_title_saying_it_is_measured():
    rendered = render_markdown("It takes about {{claim sleep sync tasks=3 seconds=2 -> 6 s ±10%}}.")

    match = re.search(r'<span class="claim" title="([^"]*)">6 s</span>', rendered.html)
    assert match, rendered.html
    assert "Measured: the sleep demo run sync with tasks=3, seconds=2" in match.group(1)
    assert "{{" not in rendered.html
    assert "style" not in rendered.html
    assert [claim.context for claim in rendered.claims] == [
        "It takes about {{claim sleep sync tasks=3 seconds=2 -> 6 s ±10%}}."
    ]


def test_a_claim_in_a_table_cell_renders_there():
    body = "| Tasks | Total |\n|---|---|\n| 3 | about {{claim sleep sync -> 6 s ±10%}} |\n"
    assert '<td>about <span class="claim"' in render_markdown(body).html


def test_claims_in_code_are_code():
    body = "Write `{{claim sleep sync -> 6 s ±10%}}`.\n\n```text\n{{claim nope}}\n```\n"
    rendered = render_markdown(body)

    assert rendered.claims == []
    assert "<code>{{claim sleep sync -&gt; 6 s ±10%}}</code>" in rendered.html


def test_raw_html_cannot_add_a_handler_or_style_to_a_claim_span():
    rendered = render_markdown(
        '<span class="claim" title="t" onclick="x()" style="color:red">6 s</span>'
    )
    assert rendered.html.strip() == '<p><span class="claim" title="t">6 s</span></p>'


def test_a_body_full_of_claims_renders_in_bounded_time():
    claim = "{{claim sleep async tasks=3 seconds=0.5 -> 0.5 s ±10%}} "
    started = time.perf_counter()
    rendered = render_markdown(claim * (29_000 // len(claim)))
    assert len(rendered.claims) > 400
    assert time.perf_counter() - started < 2


def test_an_unclosed_claim_is_refused_without_reading_the_rest_of_the_body():
    started = time.perf_counter()
    with pytest.raises(ClaimError, match="within 300 characters"):
        render_markdown("{{claim sleep sync " + "x" * 29_000 + "}}")
    assert time.perf_counter() - started < 0.5


# ---------------------------------------------------------------------------
# Refused where other lesson-body errors are: the admin and the loader


@pytest.mark.django_db
def test_the_admin_refuses_a_lesson_with_a_malformed_claim(editor_client, course):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"),
        lesson_form(course, "Intro.\n\nIt takes {{claim sleep sync tasks=11 -> 6 s ±10%}}.\n"),
    )

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get("body", []))
    assert "tasks must be from 1 to 10, got 11" in errors
    assert not Lesson.objects.filter(slug="claimed").exists()


def test_the_loader_refuses_a_malformed_claim_naming_the_file(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "_course.md").write_text("---\ntitle: C\n---\n")
    (tmp_path / "c" / "01-x.md").write_text("---\ntitle: X\n---\n\nAbout {{claim sleep sync}}.\n")

    with pytest.raises(ContentError, match=r"c/01-x\.md: claim '\{\{claim sleep sync\}\}'"):
        read_bundle(root=tmp_path)


# ---------------------------------------------------------------------------
# check_claims: runs the demos for real


def located(*claims: str) -> list[Located]:
    return [Located("c/l", claim) for claim in render_markdown(" ".join(claims)).claims]


@pytest.mark.measured
def test_the_same_run_is_made_once_however_many_claims_name_it():
    report = check_now(located(QUICK_SYNC, QUICK_SYNC))

    assert [outcome.ok for outcome in report.outcomes] == [True, True]
    assert report.runs == 1
    assert report.outcomes[0].measured == pytest.approx(0.1, abs=0.04)


@pytest.mark.measured
def test_a_wrong_claim_fails_after_three_runs():
    report = check_now(located(WRONG))

    [outcome] = report.failed
    assert (outcome.attempts, report.runs) == (3, 3)
    assert outcome.measured == pytest.approx(0.1, abs=0.04)


@pytest.mark.measured
def test_a_ratio_claim_is_measured_from_both_runs():
    report = check_now(located("{{claim sleep sync/async tasks=3 seconds=0.05 -> 3x ±25%}}"))

    assert report.runs == 2
    assert report.outcomes[0].ok, report.outcomes[0].measured


def test_a_run_whose_program_raises_fails_its_claim_with_the_reason(monkeypatch):
    def broken(**params):
        raise RuntimeError("no clock today")

    demo = claim_checks.DEMOS["sleep"]
    variant = type(demo.sync)(demo.sync.label, broken, demo.sync.where)
    monkeypatch.setitem(
        claim_checks.DEMOS, "sleep", type(demo)(**{**demo.__dict__, "sync": variant})
    )

    [outcome] = check_now(located(QUICK_SYNC)).outcomes
    assert not outcome.ok
    assert "no clock today" in outcome.reason


@pytest.mark.measured
@pytest.mark.django_db
def test_check_claims_prints_a_table_when_every_claim_holds(course, capsys):
    make_lesson(course, f"Two waits take {QUICK_SYNC} one after another.\n")

    call_command("check_claims")

    out = capsys.readouterr().out
    assert re.search(
        # Runs: 1, or up to 3 when a busy machine made a measurement miss.
        r"basics/claimed\s+sleep sync \(tasks=2, seconds=0.05\)\s+0.1 s ±40%\s+0.1\d s"
        r"\s+[123]\s+ok",
        out,
    )
    assert "up to 3 times in all" in out
    assert "Every claim holds." in out


@pytest.mark.measured
@pytest.mark.django_db
def test_check_claims_fails_naming_the_lesson_and_the_sentence(course, capsys):
    make_lesson(course, f"Intro.\n\nTwo waits take about {WRONG} in all. Then more.\n")

    with pytest.raises(CommandError, match="1 of 1 claims failed"):
        call_command("check_claims")

    captured = capsys.readouterr()
    assert "FAILED" in captured.out
    assert "basics/claimed: claim off after 3 runs: claims 0.3 s ±10%, measured 0.1" in captured.err
    assert f'in: "Two waits take about {WRONG} in all."' in captured.err


@pytest.mark.measured
@pytest.mark.django_db
def test_check_claims_records_each_claims_last_result(course):
    make_lesson(course, f"Two waits take {QUICK_SYNC}, not {WRONG}.\n")

    with pytest.raises(CommandError):
        call_command("check_claims")

    held, missed = ClaimCheck.objects.get(source=QUICK_SYNC), ClaimCheck.objects.get(source=WRONG)
    assert held.passed
    assert held.measured == pytest.approx(0.1, abs=0.04)
    assert not missed.passed
    assert missed.measured == pytest.approx(0.1, abs=0.04)
    assert held.checked_at is not None


@pytest.mark.django_db
def test_check_claims_with_no_claims_says_so(capsys):
    call_command("check_claims")
    assert "No claims to check." in capsys.readouterr().out


# ---------------------------------------------------------------------------
# The admin: a failing claim is a warning after the save, which is kept


@pytest.mark.measured
@pytest.mark.django_db
def test_saving_a_lesson_with_a_wrong_claim_keeps_it_and_warns(editor_client, course):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"), lesson_form(course, f"It takes {WRONG}.\n")
    )

    assert response.status_code == 302
    assert Lesson.objects.filter(slug="claimed").exists()
    messages = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in messages] == ["warning", "success"]
    message = messages[0]
    assert f"{WRONG} says 0.3 s ±10%, but the demo measured 0.1" in str(message)
    assert f'in "It takes {WRONG}."' in str(message)


@pytest.mark.measured
@pytest.mark.django_db
def test_saving_a_lesson_whose_quick_claims_hold_shows_no_warning(editor_client, course):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"), lesson_form(course, f"It takes {QUICK_SYNC}.\n")
    )

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


@pytest.mark.measured
@pytest.mark.django_db
def test_a_save_records_the_result_of_the_claims_it_checked(editor_client, course):
    editor_client.post(
        reverse("admin:lessons_lesson_add"), lesson_form(course, f"It takes {QUICK_SYNC}.\n")
    )

    assert ClaimCheck.objects.get(source=QUICK_SYNC).passed


@pytest.mark.measured
@pytest.mark.django_db
def test_a_save_drops_the_checks_of_claims_no_lesson_holds_any_more(editor_client, course):
    lesson = make_lesson(course, f"It takes {QUICK_SYNC}.\n")
    call_command("check_claims")
    form = {**lesson_form(course, f"It takes {WRONG}.\n"), "opened_version": lesson.version}

    editor_client.post(reverse("admin:lessons_lesson_change", args=[lesson.pk]), form)

    assert Lesson.objects.get(pk=lesson.pk).body == f"It takes {WRONG}."
    assert list(ClaimCheck.objects.values_list("source", flat=True)) == [WRONG]


@pytest.mark.django_db
def test_slow_claims_are_not_run_on_save_and_staff_are_told_to_run_check_claims(
    editor_client, course
):
    body = "Waits: {{claim sleep sync tasks=10 seconds=5 -> 50 s ±10%}}.\n"
    started = time.monotonic()
    response = editor_client.post(reverse("admin:lessons_lesson_add"), lesson_form(course, body))

    assert time.monotonic() - started < 5
    assert response.status_code == 302
    [message] = [m for m in get_messages(response.wsgi_request) if m.level_tag == "info"]
    assert "1 of the lesson's 1 claims take longer than 1 s" in str(message)
    assert "manage.py check_claims" in str(message)


def test_the_admin_runs_only_a_bounded_number_of_quick_claims():
    claims = located(
        *(f"{{{{claim sleep async tasks={n} seconds=0.1 -> 0.1 s ±10%}}}}" for n in range(1, 11)),
        *(f"{{{{claim sleep sync tasks={n} seconds=0.05 -> {n * 0.05:g} s ±10%}}}}"
          for n in range(1, 11)),
        "{{claim sleep sync tasks=10 seconds=0.5 -> 5 s ±10%}}",
        "{{claim sleep sync/async tasks=2 -> 2x ±10%}}",
    )  # fmt: skip

    quick, slow = claim_checks.cheap(
        claims, admin.CLAIMS_CHECKED_ON_SAVE_UP_TO, admin.CLAIM_RUNS_ON_SAVE
    )

    assert len(quick) == 16
    assert len({key for item in quick for key in item.claim.runs}) == 16
    assert [item.claim.value for item in slow[-2:]] == [5.0, 2.0]
    assert len(slow) == 6


# ---------------------------------------------------------------------------
# The bundled lessons: every run-dependent number is a claim, and every claim holds

# Numbers the scan finds in the bundled lessons that a run does not decide, each
# with why: (file, the text around it, reason). Every entry must still be needed.
ALLOWED = [
    ("asyncio/01-concurrency-vs-parallelism.md", "A request that takes 800 ms still takes 800 ms",
     "an example request's latency, not a demo's"),
    ("asyncio/02-blocking-vs-non-blocking.md", "See why three 2-second waits take 6 seconds when "
     "they block and about 2 seconds when they don't",
     "the summary is plain text, where no claim can render; the body claims the same totals"),
    ("asyncio/02-blocking-vs-non-blocking.md", "Why 6 seconds versus 2",
     "a heading naming the totals the table below claims"),
    ("asyncio/02-blocking-vs-non-blocking.md", "| 3 | 2 s |", "the wait per task: a parameter"),
    ("asyncio/02-blocking-vs-non-blocking.md", "| 5 | 2 s |", "the wait per task: a parameter"),
    ("asyncio/02-blocking-vs-non-blocking.md", "| 10 | 0.5 s |", "the wait per task: a parameter"),
    ("asyncio/02-blocking-vs-non-blocking.md", "The total goes back to 6 seconds",
     "time.sleep inside async def: a program no demo runs with these parameters"),
    ("asyncio/02-blocking-vs-non-blocking.md", "yet it takes 6 seconds",
     "a loop of await shown in code, which no demo runs"),
    ("asyncio/02-blocking-vs-non-blocking.md", "Each task still takes 2 seconds",
     "the wait per task: a parameter"),
    ("asyncio/02-blocking-vs-non-blocking.md", "(2 + 2 + 2 = 6 s)",
     "the sum of the parameters, spelled out"),
    ("asyncio/03-the-event-loop.md", "A wakes at 0.1 s and 0.2 s, and B wakes at 0.25 s and 0.5 s",
     "the sleeps written in the code shown"),
    ("asyncio/03-the-event-loop.md", 'registers a timer "in 2 s', "the sleep in the code shown"),
    ("asyncio/03-the-event-loop.md", "sets a timer that fires at 0.2 s, and",
     "the sleeps written in the code shown"),
    ("asyncio/03-the-event-loop.md", "sleep timer fires at 0.3 s", "the sleep in the code shown"),
    ("asyncio/03-the-event-loop.md", "a 10 ms", "the demo's call_later delay, in its code"),
    ("asyncio/03-the-event-loop.md", "it is due at 10 ms", "the demo's call_later delay"),
    ("asyncio/03-the-event-loop.md", "register a 2-second timer", "the sleep: a parameter"),
    ("asyncio/03-the-event-loop.md", "At about t = 2 s all three timers are due",
     "when the timers are due: the sleep parameter"),
    ("asyncio/03-the-event-loop.md", "That is one sleep of 2 s", "the sleep: a parameter"),
    ("asyncio/03-the-event-loop.md", "longer than 100 ms", "asyncio's debug threshold"),
    ("asyncio/04-coroutines-and-futures.md", "The whole call takes about 0.3 s",
     "gather over the sleeps in the code shown, which no demo runs"),
    ("asyncio/04-coroutines-and-futures.md", "finishes after 0.1 s", "a sleep in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "raises `…` at 0.2 s",
     "a sleep in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "would finish at 0.4 s", "a sleep in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "waits 0.3 s more", "a sleep in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "the error reaches `…` at 0.2 s",
     "a sleep in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "prints its line at 0.4 s, 0.2 s after",
     "sleeps in the demo's code"),
    ("asyncio/04-coroutines-and-futures.md", "its lane ends at 0.2 s",
     "a sleep in the demo's code"),
    ("asyncio/05-rules-of-asyncio.md", "sleeping 0.25 s before each step",
     "the step in the demo's code"),
    ("asyncio/05-rules-of-asyncio.md", "keep their 0.25 s rhythm and finish at about 1 s",
     "four steps of the demo's 0.25 s: when single tasks end, which claims cannot name"),
    ("asyncio/05-rules-of-asyncio.md", "The whole program takes about 1.2 seconds: the read is "
     "done after 1 s, but the ticker's third 0.4 s sleep only ends at 1.2 s",
     "the to_thread program shown in code, which no demo runs"),
    ("asyncio/05-rules-of-asyncio.md", "more than 100 ms", "asyncio's debug threshold"),
    ("asyncio/06-concurrent-http-requests.md", "If the three answers take 0.6 s, 0.9 s and 0.4 s, "
     "you wait about 1.9 s", "example latencies and their sum"),
    ("asyncio/06-concurrent-http-requests.md", "this takes about 0.9 s",
     "the slowest of the example latencies"),
    ("asyncio/06-concurrent-http-requests.md", "between 0.3 and 1.2 s",
     "the weather simulator's latency range, a setting"),
    ("asyncio/07-when-async-pays-off.md", "| 1 | 0.5 s |", "the wait each: a parameter"),
    ("asyncio/07-when-async-pays-off.md", "| 3 | 0.5 s |", "the wait each: a parameter"),
    ("asyncio/07-when-async-pays-off.md", "| 10 | 0.5 s |", "the wait each: a parameter"),
    ("asyncio/10-limiting-concurrency.md", "With a 10-second timeout",
     "the timeout the example sets: a setting, not a measurement"),
    ("asyncio/11-taskgroup-and-exception-groups.md", "which comes in at 0.2 s",
     "when the data comes in: a constant in the demo's code"),
    ("asyncio/11-taskgroup-and-exception-groups.md", "would need 0.5 s",
     "the report's sleep: a constant in the demo's code"),
    ("asyncio/12-threads-and-processes.md", "wakes every 50 ms",
     "the heartbeat's period: a constant in the listing's code"),
    ("asyncio/13-async-iterators-and-generators.md", "Every page takes the simulator 0.4 s to send",
     "the simulator's page latency, PAGE_LATENCY: a constant, not a measurement"),
    ("asyncio/14-streams.md", "after some work, 0.25 s by default",
     "the delay parameter's default, not a measured time"),
    ("async-django/02-sync-calls-in-async-views.md", "after about 1.5 s, not 0.5 s",
     "three requests to the view shown in code, which no demo runs"),
    ("async-django/02-sync-calls-in-async-views.md", "the loop was blocked for about 1.5 s",
     "the heartbeat's report equals the block parameter, 1.5 s (tests/test_blocking_demo.py)"),
    ("async-django/05-background-work.md", "Requests arrive 0.2 s apart",
     "the gap between two requests: a constant in the demo's code"),
    ("async-django/05-background-work.md", "which takes 0.5 s",
     "how long a mail takes: a constant in the demo's code"),
    ("async-django/05-background-work.md", "three mails of 0.5 s one after another",
     "the demo's constant mail time, three times over, explaining the claim before it"),
    ("async-django/05-background-work.md", "the server stops 0.2 s after the request",
     "the gap after the last request: a constant in the demo's code"),
    ("async-django/05-background-work.md", "waits in Redis for 60 s by default",
     "channels_redis's default expiry setting"),
]  # fmt: skip

# "about 6 s", "2 seconds", "0.5 s", "a 2-second", "10 ms", "3x", "4 times faster".
RUN_NUMBER = re.compile(
    r"\b\d+(?:\.\d+)?(?:\s|-)?(?:s|ms|seconds?|milliseconds?)\b"
    r"|\b\d+(?:\.\d+)?\s?(?:x|\u00d7)(?!\w)|\b\d+(?:\.\d+)?\s+times\s+(?:faster|slower)\b"
)


def prose(body: str) -> list[str]:
    """Each paragraph, heading and table row of a body as text, without code or claims."""
    env = {"nonce": "x", "demo_blocks": [], "tokens_left": 0, "cells_left": 10**6}
    texts: list[str] = []
    row: list[str] | None = None  # the cells of the table row being read
    for token in _MD.parse(body, env):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            texts.append("| " + " | ".join(row) + " |")
            row = None
        elif token.type == "inline":
            text = "".join(
                child.content if child.type in {"text", "html_inline"} else " " if
                child.type == "softbreak" else "`…`"
                for child in token.children or []
            )  # fmt: skip
            (row if row is not None else texts).append(text)
    return texts


def test_bundled_lessons_type_no_run_dependent_number_outside_a_claim():
    found, used = [], set()
    for path in sorted(CONTENT_DIR.glob("*/[0-9]*.md")):
        name = path.relative_to(CONTENT_DIR).as_posix()
        front, body = FRONT_MATTER.match(path.read_text(encoding="utf-8")).groups()
        for text in [front, *prose(body)]:
            for hit in RUN_NUMBER.finditer(text):
                entry = next(
                    (
                        index
                        for index, (file, around, _) in enumerate(ALLOWED)
                        if file == name and _covers(text, around, hit)
                    ),
                    None,
                )
                if entry is None:
                    found.append(f"{name}: {hit.group()!r} in {text.strip()[:120]!r}")
                else:
                    used.add(entry)

    assert found == [], "write these as claims ({{claim ...}}), or allow them with a reason"
    assert [ALLOWED[i][:2] for i in range(len(ALLOWED)) if i not in used] == []


def _covers(text: str, around: str, hit: re.Match) -> bool:
    start = text.find(around)
    while start != -1:
        if start <= hit.start() and hit.end() <= start + len(around):
            return True
        start = text.find(around, start + 1)
    return False


def test_the_scan_finds_a_typed_number_and_ignores_code_and_claims():
    body = (
        "It takes about 6 s. Async is 3x faster.\n\n"
        "`sleep(2 s)` and {{claim sleep sync -> 6 s ±10%}}.\n\n```text\n6 s\n```\n"
    )
    hits = [hit.group() for text in prose(body) for hit in RUN_NUMBER.finditer(text)]
    assert hits == ["6 s", "3x"]


@pytest.mark.measured
def test_every_claim_in_the_bundled_lessons_holds(capsys):
    claims = [claim for course in read_bundle() for lesson in course.lessons
              for claim in render_markdown(lesson.body).claims]  # fmt: skip
    assert len(claims) >= 20

    call_command("check_claims", "--files")

    assert "Every claim holds." in capsys.readouterr().out


# ---------------------------------------------------------------------------


def lesson_form(course, body: str) -> dict:
    return {
        "course": course.pk,
        "title": "Claimed",
        "slug": "claimed",
        "summary": "",
        "body": body,
        "position": 1,
        "status": "published",
        "opened_version": "",
    }


def make_lesson(course, body: str) -> Lesson:
    return Lesson.objects.create(course=course, slug="claimed", title="Claimed", body=body)
