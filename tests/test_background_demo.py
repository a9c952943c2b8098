"""Background work: mails left on the loop are lost at a deploy, a worker sends them all."""

import pytest

from tests.demo_runs import ends, lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def started(events: list[dict]) -> dict[int, float]:
    return {e["task"]: e["t"] for e in events if e["type"] == "task_started"}


async def test_fire_and_forget_answers_at_once_and_loses_the_mails_cut_off_by_the_deploy():
    finished, events = await run_demo("background", "sync")
    assert finished["status"] == "failed"  # two mail tasks end cancelled
    said = lines(events)
    assert said[:5] == [
        "request 1: response sent",
        "request 2: response sent",
        "request 3: response sent",
        "mail 1: sent",
        "server: stopping for a deploy, 2 mail(s) still on the loop",
    ]
    # asyncio.run cancels what is left on the loop in no set order.
    assert sorted(said[5:]) == ["mail 2: cancelled, never sent", "mail 3: cancelled, never sent"]
    # Lanes: request 1, mail 1, request 2, mail 2, request 3, mail 3.
    end, start = ends(events), started(events)
    for request, at in ((0, 0.0), (2, 0.2), (4, 0.4)):
        assert end[request]["ok"] is True
        assert at - 0.01 <= start[request] <= end[request]["t"] < at + 0.05  # answered at once
    assert end[1]["ok"] is True
    assert 0.49 <= end[1]["t"] < 0.6
    for mail in (3, 5):
        assert end[mail]["error"] == "cancelled"
        assert 0.59 <= end[mail]["t"] < 0.75
    assert 0.59 <= finished["elapsed"] < 0.75


async def test_a_worker_sends_every_mail_after_the_deploy():
    finished, events = await run_demo("background", "async")
    assert finished["status"] == "ok"
    assert lines(events) == [
        "request 1: job queued, response sent",
        "request 2: job queued, response sent",
        "request 3: job queued, response sent",
        "worker: mail 1 sent",
        "server: stopping for a deploy, 1 job(s) waiting in the queue",
        "worker: mail 2 sent",
        "worker: mail 3 sent",
        "worker: queue empty, stopping",
    ]
    # Lanes: the worker, then requests 1 to 3.
    end, start = ends(events), started(events)
    for request, at in ((1, 0.0), (2, 0.2), (3, 0.4)):
        assert end[request]["ok"] is True
        assert at - 0.01 <= start[request] <= end[request]["t"] < at + 0.05
    sent = [e["t"] for e in events if e["type"] == "output" and e["text"].endswith("sent")]
    sent = [t for t in sent if t > 0.45]  # the worker's three, not the responses
    assert len(sent) == 3
    for t, at in zip(sent, (0.5, 1.0, 1.5), strict=True):
        assert at - 0.01 <= t < at + 0.15
    assert end[0]["ok"] is True
    assert 1.49 <= finished["elapsed"] < 1.8


async def test_a_single_request_fires_a_mail_that_no_deploy_spares():
    finished, events = await run_demo("background", "sync", {"requests": 1})
    assert lines(events) == [
        "request 1: response sent",
        "server: stopping for a deploy, 1 mail(s) still on the loop",
        "mail 1: cancelled, never sent",
    ]
    assert 0.19 <= finished["elapsed"] < 0.35
