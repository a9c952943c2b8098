"""Storing finished runs: a briefly locked database is retried, a dead one is logged loudly.

The database is made to fail where every query passes (``CursorWrapper``), so
the run writer's one write, a batch of runs per ``bulk_create``, fails however
and on whichever thread it is made.
"""

import asyncio
import json
import logging

import pytest
from channels.testing import WebsocketCommunicator
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from demos.runner import RunResult
from live import services
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


RESULT = RunResult(
    status="ok",
    elapsed=0.1234,
    summary="Program executed in 0.12 seconds.",
    tasks=[{"task": 0, "start": 0.0, "end": 0.12, "ok": True, "output": []}],
)


@pytest.fixture
def backoff(monkeypatch):
    """Record the waits between attempts instead of sleeping through them."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay, *args, **kwargs):
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", record)
    return waits


def failing_database(monkeypatch, failures: int | None) -> list[str]:
    """Make the first ``failures`` inserts of runs fail (None: every one); return them.

    The failure is injected where every query passes, whichever ORM call or
    thread stores the run.
    """
    attempts: list[str] = []
    real_execute, real_executemany = CursorWrapper.execute, CursorWrapper.executemany

    def fails(sql: str) -> bool:
        if not sql.lstrip().upper().startswith('INSERT INTO "LESSONS_DEMORUN"'):
            return False
        attempts.append(sql)
        return failures is None or len(attempts) <= failures

    def execute(self, sql, params=None):
        if fails(sql):
            raise OperationalError("database is locked")
        return real_execute(self, sql, params)

    def executemany(self, sql, param_list):
        if fails(sql):
            raise OperationalError("database is locked")
        return real_executemany(self, sql, param_list)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    monkeypatch.setattr(CursorWrapper, "executemany", executemany)
    return attempts


async def record_run() -> int | None:
    return await services.demo_run_record(
        demo="sleep", mode="async", params={"tasks": 1, "seconds": 0.1}, result=RESULT
    )


@pytest.mark.parametrize("failures", [1, services.STORE_ATTEMPTS - 1])
async def test_a_briefly_locked_database_is_retried_until_the_run_is_stored(
    monkeypatch, backoff, caplog, failures
):
    attempts = failing_database(monkeypatch, failures)
    stored = await record_run()
    assert stored is not None
    assert len(attempts) == failures + 1
    assert await DemoRun.objects.acount() == 1
    assert (await DemoRun.objects.aget()).elapsed == RESULT.elapsed
    assert len(backoff) == failures
    assert backoff == sorted(backoff)  # it waits longer each time
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == failures
    assert all(r.levelno == logging.WARNING for r in retries)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_database_that_stays_down_is_logged_as_an_error_with_the_run(
    monkeypatch, backoff, caplog
):
    attempts = failing_database(monkeypatch, None)
    assert await record_run() is None
    assert len(attempts) == services.STORE_ATTEMPTS
    assert await DemoRun.objects.acount() == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    # Enough to store the run by hand later.
    for part in ("sleep", "async", "{'tasks': 1, 'seconds': 0.1}", "ok", "0.1234"):
        assert part in line
    assert "database is locked" in line


async def test_a_reader_is_never_told_a_run_was_saved_when_storing_failed(monkeypatch, caplog):
    monkeypatch.setattr(services, "STORE_ATTEMPTS", 2)  # one real back-off wait
    failing_database(monkeypatch, None)
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 1, "seconds": 0.05}}))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)
    assert event["status"] == "ok"
    # Storing happens after "finished" and nothing afterwards claims it worked.
    assert not {"saved", "stored"} & set(event)
    assert await ws.receive_nothing(timeout=1.0)
    await ws.disconnect()  # waits for the run's task, storage attempts included
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "could not store demo run" in errors[0].getMessage()
    assert await DemoRun.objects.acount() == 0


async def test_a_failed_store_leaves_the_connection_usable(monkeypatch, backoff, caplog):
    failing_database(monkeypatch, None)
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    for run_id in ("first", "second"):
        frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "sync"}
        await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 1, "seconds": 0.05}}))
        while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
            pass
        assert event["status"] == "ok"
    await ws.disconnect()
    # Each run given up on has its own error line.
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert all("could not store demo run" in line for line in errors)
    assert await DemoRun.objects.acount() == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_run_is_stored_even_when_its_closing_connection_is_given_up_on(mode):
    # daphne kills a connection's application that takes too long to close
    # (application_close_timeout); the run it was stopping must still be stored.
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": mode}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 3, "seconds": 0.3}}))
    while (await ws.receive_json_from(timeout=5))["type"] != "task_started":
        pass
    await ws.disconnect(timeout=0.01)  # cancels the consumer while it waits for the run
    for _ in range(100):
        if await DemoRun.objects.acount():
            break
        await asyncio.sleep(0.02)
    stored = await DemoRun.objects.aget()
    assert stored.status == "cancelled"
    assert stored.reason == "the reader left"
