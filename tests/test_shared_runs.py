"""Sharing a finished run: only one's own, at an unguessable address, kept, and
readable without JavaScript."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.utils import timezone

from lessons.models import Lesson
from live import replay, run_writer, selectors, services, sharing
from live.models import DemoRun, DemoRunTally
from live.run_pruning import prune_runs, prune_shared_runs
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

DEMO_BODY = "## Try it\n\n```demo\nname: sleep\ntasks: 2\n```\n"


@pytest.fixture
def demo_lesson(course):
    return Lesson.objects.create(
        course=course, position=5, slug="sleeping", title="Sleeping together",
        status=Lesson.Status.PUBLISHED, body=DEMO_BODY,
    )  # fmt: skip


async def connect() -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    return ws


async def finish_run(ws, run_id: str, **frame) -> dict:
    message = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async",
               "params": {"tasks": 2, "seconds": 0.05}, **frame}  # fmt: skip
    await ws.send_to(text_data=json.dumps(message))
    while (event := await ws.receive_json_from(timeout=20))["type"] != "finished":
        pass
    return event


async def share(ws, run_id: str, **extra) -> dict:
    await ws.send_to(text_data=json.dumps({"type": "share", "id": run_id, **extra}))
    while True:
        event = await ws.receive_json_from(timeout=5)
        if event.get("id") == run_id and event["type"] in {"shared", "error"}:
            return event


def token_of(url: str) -> str:
    assert url.startswith("/runs/")
    assert url.endswith("/")
    return url.removeprefix("/runs/").removesuffix("/")


# Sharing ----------------------------------------------------------------------


async def test_a_reader_shares_the_run_they_just_saw_finish(demo_lesson):
    ws = await connect()
    await finish_run(ws, "mine")
    answer = await share(ws, "mine", lesson=demo_lesson.pk)
    await ws.disconnect()

    assert answer["type"] == "shared"
    run = await DemoRun.objects.aget(share_token=token_of(answer["url"]))
    assert run.is_shared
    assert run.shared_at is not None
    assert run.lesson_id == demo_lesson.pk
    assert (run.demo, run.mode, run.params) == ("sleep", "async", {"tasks": 2, "seconds": 0.05})


async def test_a_reader_cannot_share_a_run_of_another_connection():
    owner = await connect()
    await finish_run(owner, "theirs")
    stranger = await connect()
    answer = await share(stranger, "theirs")
    await owner.disconnect()
    await stranger.disconnect()

    assert answer == {"type": "error", "code": "unknown_run", "id": "theirs",
                      "message": "no finished run with this id on this connection"}  # fmt: skip
    assert not await DemoRun.objects.filter(share_token__isnull=False).aexists()


async def test_a_run_still_going_cannot_be_shared_even_under_a_finished_runs_id():
    ws = await connect()
    await finish_run(ws, "slow")  # the same id, used again below while its run goes
    frame = {"type": "run", "id": "slow", "demo": "sleep", "mode": "async",
             "params": {"tasks": 1, "seconds": 1}}  # fmt: skip
    await ws.send_to(text_data=json.dumps(frame))
    answer = await share(ws, "slow")
    await ws.disconnect()
    assert answer["code"] == "unknown_run"


async def test_sharing_a_run_again_gives_the_same_address():
    ws = await connect()
    await finish_run(ws, "r")
    first = await share(ws, "r")
    again = await share(ws, "r")
    await ws.disconnect()
    assert first["url"] == again["url"]
    assert await DemoRun.objects.filter(share_token__isnull=False).acount() == 1


async def test_a_run_id_used_again_shares_the_new_run_not_the_one_shared_before():
    ws = await connect()
    await finish_run(ws, "r")
    first = await share(ws, "r")
    await finish_run(ws, "r")
    second = await share(ws, "r")
    await ws.disconnect()
    assert first["url"] != second["url"]
    assert await DemoRun.objects.filter(share_token__isnull=False).acount() == 2


@override_settings(DEMO_SHARE_RATE_LIMIT=(1, 3600.0))
async def test_sharing_a_run_again_does_not_count_against_the_limit():
    ws = await connect()
    await finish_run(ws, "r")
    answers = [await share(ws, "r") for _ in range(3)]
    await ws.disconnect()
    assert [answer["type"] for answer in answers] == ["shared"] * 3


async def test_each_shared_run_gets_its_own_long_random_token():
    ws = await connect()
    urls = []
    for run_id in ("a", "b", "c"):
        await finish_run(ws, run_id)
        urls.append((await share(ws, run_id))["url"])
    await ws.disconnect()

    tokens = [token_of(url) for url in urls]
    assert len(set(tokens)) == 3
    # token_urlsafe: 4 characters for every 3 bytes, so at least 128 bits each.
    assert all(len(token) * 6 >= 128 and len(token) >= 32 for token in tokens)


async def test_a_run_that_could_not_be_stored_says_to_run_it_again(monkeypatch):
    def never_stored(**_):
        lost = asyncio.get_running_loop().create_future()
        lost.set_result(None)  # what the writer gives once every attempt failed
        return lost

    monkeypatch.setattr(services, "demo_run_record", never_stored)
    ws = await connect()
    await finish_run(ws, "r")
    answer = await share(ws, "r")
    await ws.disconnect()
    assert answer["code"] == "unavailable"
    assert "run it again" in answer["message"]
    assert "try again" not in answer["message"]


@override_settings(DEMO_SHARE_RATE_LIMIT=(2, 3600.0))
async def test_sharing_is_rate_limited_per_client():
    ws = await connect()
    answers = []
    for run_id in ("a", "b", "c"):
        await finish_run(ws, run_id)
        answers.append(await share(ws, run_id))
    await ws.disconnect()
    assert [answer["type"] for answer in answers] == ["shared", "shared", "error"]
    assert answers[-1]["code"] == "rate_limited"


async def test_a_lesson_that_does_not_show_the_demo_is_not_kept(lessons):
    ws = await connect()
    await finish_run(ws, "r")
    answer = await share(ws, "r", lesson=lessons.outro.pk)
    await ws.disconnect()
    run = await DemoRun.objects.aget(share_token=token_of(answer["url"]))
    assert run.lesson_id is None


async def test_a_malformed_share_is_refused_with_a_reason():
    ws = await connect()
    await ws.send_to(text_data=json.dumps({"type": "share", "id": "x", "lesson": "one"}))
    answer = await ws.receive_json_from(timeout=5)
    await ws.disconnect()
    assert answer["code"] == "bad_message"
    assert answer["id"] == "x"


async def stored_run_of_the_last_finish() -> DemoRun:
    await run_writer.writer().drain()
    return await DemoRun.objects.order_by("-id").afirst()


@override_settings(DEMO_SHARE_MAX_BYTES=2048)
async def test_a_run_over_the_size_limit_is_refused_with_its_size_and_the_limit():
    ws = await connect()
    await finish_run(ws, "big")
    run = await stored_run_of_the_last_finish()
    run.output = [[0.1, "x" * 5000, "stdout"]]
    await run.asave(update_fields=["output"])
    answer = await share(ws, "big")
    await ws.disconnect()

    size = sharing.stored_size(run)
    assert size > 5000
    assert answer == {
        "type": "error", "code": "too_big", "id": "big",
        "message": f"this run is too big to share: {-(-size // 1024)} KB, the limit is 2 KB",
    }  # fmt: skip
    assert not await DemoRun.objects.filter(share_token__isnull=False).aexists()


async def test_a_run_within_the_size_limit_is_shared(settings):
    ws = await connect()
    await finish_run(ws, "small")
    run = await stored_run_of_the_last_finish()
    settings.DEMO_SHARE_MAX_BYTES = sharing.stored_size(run)  # exactly at the limit
    answer = await share(ws, "small")
    await ws.disconnect()
    assert answer["type"] == "shared"


def shared_at_times(count: int, **fields) -> list[DemoRun]:
    """``count`` shared runs, shared one second apart, oldest first."""
    start = timezone.now() - timedelta(hours=1)
    values = {"demo": "sleep", "mode": "async", "params": {}, "status": "ok", "elapsed": 0.1,
              "timeline": [], **fields}  # fmt: skip
    return DemoRun.objects.bulk_create(
        DemoRun(share_token=sharing.new_token(), shared_at=start + timedelta(seconds=n), **values)
        for n in range(count)
    )


def test_only_the_most_lately_shared_runs_are_kept_whoever_shared_them():
    unshared = DemoRun.objects.create(
        demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[]
    )
    runs = shared_at_times(5)
    # Shared in another order than stored: the time of sharing decides.
    DemoRun.objects.filter(pk=runs[0].pk).update(shared_at=timezone.now())

    assert prune_shared_runs(keep=2) == 3

    kept = set(DemoRun.objects.values_list("pk", flat=True))
    assert kept == {unshared.pk, runs[0].pk, runs[-1].pk}


def test_pruned_shared_runs_still_count_in_runs_so_far():
    runs = shared_at_times(7)
    DemoRun.objects.filter(pk__in=[run.pk for run in runs[3:5]]).update(status="failed")
    # A reader's program: never counted.
    DemoRun.objects.filter(pk__in=[run.pk for run in runs[5:]]).update(code="print(1)\n")

    prune_shared_runs(keep=1)

    assert list(DemoRun.objects.values_list("code", flat=True)) == ["print(1)\n"]
    assert DemoRunTally.objects.get(demo="sleep", mode="async").pruned_ok == 3


async def test_the_run_writer_prunes_shared_runs_beyond_the_cap(settings, monkeypatch):
    settings.DEMO_SHARED_RUNS_KEPT = 2
    monkeypatch.setattr(run_writer, "PRUNE_EVERY", 1)
    await sync_to_async(shared_at_times)(4)
    row = run_writer.RunRow.of(
        demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[], reason=""
    )

    await run_writer.writer().submit(row, attempts=1)  # pruned before it is written

    assert await DemoRun.objects.filter(share_token__isnull=False).acount() == 2
    stats = await selectors.demo_stats(demos=["sleep"])
    assert stats["sleep"]["async"]["count"] == 5


def test_pruning_keeps_shared_runs_and_prunes_the_others_as_before():
    runs = DemoRun.objects.bulk_create(
        DemoRun(demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[])
        for _ in range(6)
    )
    oldest = runs[0]
    DemoRun.objects.filter(pk=oldest.pk).update(share_token=sharing.new_token())

    prune_runs(keep=2)

    kept = set(DemoRun.objects.values_list("pk", flat=True))
    assert kept == {oldest.pk, runs[-2].pk, runs[-1].pk}


def test_shared_runs_do_not_take_the_places_of_the_newest_runs_kept():
    runs = DemoRun.objects.bulk_create(
        DemoRun(demo="sleep", mode="async", params={}, status="ok", elapsed=0.1, timeline=[])
        for _ in range(6)
    )
    newest = runs[-1]
    DemoRun.objects.filter(pk=newest.pk).update(share_token=sharing.new_token())

    prune_runs(keep=2)

    kept = set(DemoRun.objects.values_list("pk", flat=True))
    assert kept == {runs[-3].pk, runs[-2].pk, newest.pk}


# The page -------------------------------------------------------------------------


def shared(**fields) -> DemoRun:
    values = {
        "demo": "sleep", "mode": "async", "params": {"tasks": 2, "seconds": 0.5},
        "status": "ok", "elapsed": 0.5123, "reason": "",
        "timeline": [
            {"task": 0, "start": 0.0001, "end": 0.501, "ok": True, "output": [[0.5009, "Hello"]]},
            {"task": 1, "start": 0.0002, "end": 0.5012, "ok": True, "output": [[0.5011, "Hello"]]},
        ],
        "share_token": sharing.new_token(),
        **fields,
    }  # fmt: skip
    return DemoRun.objects.create(**values)


def test_the_page_reads_without_javascript(client, html, demo_lesson):
    run = shared(lesson=demo_lesson)
    response = client.get(f"/runs/{run.share_token}/")
    assert response.status_code == 200
    page = html(response)
    assert "Sleeping tasks, async: 0.51 s" in page.find("title").text
    facts = {dd.attrs["data-fact"]: dd.text for dd in page.find_all("dd")
             if "data-fact" in dd.attrs}  # fmt: skip
    assert facts == {"elapsed": "0.51 s", "status": "OK", "tasks": "2"}
    rows = page.find("table", class_="replay-tasks").find("tbody").find_all("tr")
    assert [row.attrs["data-task"] for row in rows] == ["0", "1"]
    assert "0.501" in rows[0].text
    assert "Hello" in rows[0].text
    # The code that ran, whole, as text.
    assert "async def main" in page.find("section", class_="replay-code").find("pre").text
    # What the script replays rides in a JSON data block; no script is inline.
    data = json.loads(page.find("script", id="replay-data").text)
    assert [m["type"] for m in data["messages"]] == [
        "accepted", "task_started", "task_started", "output", "task_finished", "output",
        "task_finished", "finished",
    ]  # fmt: skip
    for script in page.find_all("script"):
        assert script.attrs.get("src") or script.attrs.get("type") == "application/json"


def test_the_page_links_back_to_the_lesson_with_the_same_parameters(client, html, demo_lesson):
    run = shared(lesson=demo_lesson)
    page = html(client.get(f"/runs/{run.share_token}/"))
    again = page.find("a", data_action="again")
    assert again.attrs["href"] == (
        "/courses/basics/sleeping/?demo=sleep&mode=async&tasks=2&seconds=0.5"
    )


def test_without_its_lesson_a_run_links_to_another_lesson_with_its_demo(client, html, demo_lesson):
    run = shared()
    again = html(client.get(f"/runs/{run.share_token}/")).find("a", data_action="again")
    assert again.attrs["href"].startswith("/courses/basics/sleeping/?demo=sleep")


def test_a_shared_page_says_what_ran_in_its_title_and_description(client, html):
    run = shared()
    page = html(client.get(f"/runs/{run.share_token}/"))
    meta = {m.attrs.get("property") or m.attrs.get("name"): m.attrs.get("content")
            for m in page.find_all("meta")}  # fmt: skip
    assert meta["og:title"] == "Sleeping tasks, async: 0.51 s — Async, seen live"
    assert meta["description"] == meta["og:description"]
    assert "tasks=2, seconds=0.5" in meta["description"]
    assert "0.51 s" in meta["description"]


def test_the_page_is_never_indexed(client, html):
    run = shared(code="print('mine')\n", params={})
    response = client.get(f"/runs/{run.share_token}/")
    assert "noindex" in response["X-Robots-Tag"]
    robots = html(response).find("meta", name="robots")
    assert "noindex" in robots.attrs["content"]


def test_a_readers_program_is_shown_at_its_address(client, html, demo_lesson):
    code = "import asyncio\n\nprint('my own program')\n"
    run = shared(code=code, params={}, output=[[0.2, "my own program", "stdout"]],
                 lesson=demo_lesson)  # fmt: skip
    page = html(client.get(f"/runs/{run.share_token}/"))
    assert page.find("section", class_="replay-code").find("pre").text == code
    assert "A reader\u2019s version of Sleeping tasks" in page.find("h1").text
    assert "my own program" in page.find("ul", class_="replay-loose").text
    again = page.find("a", data_action="again").attrs["href"]
    assert again == f"/courses/basics/sleeping/?demo=sleep&mode=async&shared={run.share_token}"
    program = client.get(f"/runs/{run.share_token}/program.json").json()
    assert program == {"demo": "sleep", "mode": "async", "code": code}


def test_an_unshared_run_has_no_page(client):
    run = shared(share_token=None)
    assert client.get(f"/runs/{run.pk}/").status_code == 404


def test_an_unknown_token_gets_a_clear_404(client, html):
    response = client.get(f"/runs/{sharing.new_token()}/")
    assert response.status_code == 404
    assert "There is no shared run at this address" in html(response).find("h1").text
    assert "noindex" in response["X-Robots-Tag"]
    assert client.get("/runs/x/program.json").status_code == 404


def test_a_replay_lists_a_readers_output_outside_tasks_in_time_order():
    run = DemoRun(
        demo="sleep", mode="async", params={}, status="failed", elapsed=0.3, reason="boom",
        code="x", timeline=[{"task": 0, "start": 0.1, "end": 0.2, "ok": False, "error": "E",
                             "output": []}],
        output=[[0.0, "first", "stdout"], [0.25, "oops", "stderr"]],
    )  # fmt: skip
    messages = replay.messages_of(run)
    assert [(m["type"], m.get("t")) for m in messages] == [
        ("accepted", None), ("output", 0.0), ("task_started", 0.1), ("task_finished", 0.2),
        ("output", 0.25), ("finished", None),
    ]  # fmt: skip
    assert messages[4]["stream"] == "stderr"
    assert messages[3]["error"] == "E"
    assert messages[-1]["reason"] == "boom"


async def test_a_demos_own_run_keeps_no_output_apart_from_its_tasks():
    ws = await connect()
    await finish_run(ws, "r")
    await ws.disconnect()
    stored = await sync_to_async(DemoRun.objects.get)()
    assert stored.output is None
    assert [len(task["output"]) for task in stored.timeline] == [1, 1]


@pytest.mark.usefixtures("sandbox_runner")
async def test_a_readers_program_keeps_what_it_printed_outside_its_tasks_for_its_replay():
    code = (
        "import asyncio, sys\n\nasync def work():\n    print('inside')\n\n"
        "async def main():\n    print('before')\n    await asyncio.create_task(work())\n"
        "    print('oops', file=sys.stderr)\n\nasyncio.run(main())\n"
    )
    ws = await connect()
    await finish_run(ws, "mine", code=code, params={})
    answer = await share(ws, "mine")
    await ws.disconnect()

    run = await DemoRun.objects.aget(share_token=token_of(answer["url"]))
    assert [(text, stream) for _, text, stream in run.output] == [
        ("before", "stdout"), ("oops", "stderr"),
    ]  # fmt: skip
    outputs = [(m["task"], m["text"]) for m in replay.messages_of(run) if m["type"] == "output"]
    assert outputs == [(None, "before"), (0, "inside"), (None, "oops")]


def test_a_run_that_printed_a_flood_lists_a_bounded_part_and_replays_it_all(
    client, html, monkeypatch
):
    monkeypatch.setattr(replay, "MAX_LISTED_TASKS", 2)
    monkeypatch.setattr(replay, "MAX_LISTED_LINES", 5)
    timeline = [
        {"task": n, "start": 0.0, "end": 0.1, "ok": True,
         "output": [[0.01 * line, f"task {n} line {line}"] for line in range(4)]}
        for n in range(3)
    ]  # fmt: skip
    loose = [[0.2, f"loose {n}", "stdout"] for n in range(3)]
    run = shared(code="print()\n", params={}, timeline=timeline, output=loose)

    page = html(client.get(f"/runs/{run.share_token}/"))

    record = page.find("section", class_="replay-record")
    assert len(record.find_all("li")) == 5
    assert len(record.find("tbody").find_all("tr")) == 2
    assert "3 more lines not listed here" in record.find("tr", data_task="1").text
    assert "Not listed here: 1 more task and 10 more printed lines." in record.text
    assert page.find("dd", data_fact="tasks").text == "3"
    data = json.loads(page.find("script", id="replay-data").text)
    assert sum(message["type"] == "output" for message in data["messages"]) == 15


def test_a_readers_output_cannot_break_out_of_the_replay_data(client, html):
    hostile = "</script><script>alert(1)</script><!--"
    run = shared(code="print('x')\n", params={}, output=[[0.1, hostile, "stdout"]])
    response = client.get(f"/runs/{run.share_token}/")
    assert b"<script>alert(1)" not in response.content
    data = json.loads(html(response).find("script", id="replay-data").text)
    assert hostile in [message.get("text") for message in data["messages"]]


def test_a_readers_shared_program_is_not_found_by_the_site_search(client, lessons):
    run = shared(code="print('zanzibarquokka')\n", params={})
    results = client.get("/search/?q=zanzibarquokka")
    assert results.status_code == 200
    assert b"/runs/" not in results.content
    assert run.share_token.encode() not in results.content
