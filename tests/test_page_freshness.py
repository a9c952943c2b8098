"""When kept pages go stale: at a save, again at its commit, and in every process."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

from lessons import page_freshness
from tests import services
from tutorialsite.page_cache import PageCache

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_save_makes_pages_stale_at_once_and_again_when_it_commits(lessons, monkeypatch):
    told = []
    monkeypatch.setattr(page_freshness, "tell_other_processes", lambda: told.append(1))
    start = page_freshness.versions()[0]

    with transaction.atomic():
        lessons.intro.title = "Renamed"
        lessons.intro.save()
        during = page_freshness.versions()[0]
        assert told == []  # nobody hears of it before it is committed
    after = page_freshness.versions()[0]

    assert start != during != after
    assert told == [1]


def test_a_rolled_back_save_tells_nobody(lessons, monkeypatch):
    told = []
    monkeypatch.setattr(page_freshness, "tell_other_processes", lambda: told.append(1))

    def failing_save() -> None:
        with transaction.atomic():
            lessons.intro.save()
            raise RuntimeError("the admin's save failed")

    with pytest.raises(RuntimeError):
        failing_save()

    assert told == []


async def test_a_single_process_site_listens_to_nobody(monkeypatch):
    monkeypatch.setattr(page_freshness, "get_channel_layer", InMemoryChannelLayer)

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    cache = PageCache(app)
    await cache({"type": "http", "method": "POST", "path": "/", "headers": []}, None, _ignore)

    assert cache.listener is None  # the in-memory channel layer is this process's own


async def _ignore(message):
    pass


async def test_an_edit_in_another_process_makes_this_ones_pages_stale(monkeypatch):
    layer = RedisChannelLayer(hosts=[services.redis_url(db=13)])
    monkeypatch.setattr(page_freshness, "get_channel_layer", lambda: layer)
    bumps = asyncio.Queue()
    real_bump = page_freshness.content_changed

    def content_changed() -> None:
        real_bump()
        bumps.put_nowait(page_freshness.versions()[0])

    monkeypatch.setattr(page_freshness, "content_changed", content_changed)
    listening = asyncio.create_task(page_freshness.hear_other_processes(layer))
    try:
        await asyncio.wait_for(bumps.get(), 10)  # it has joined (joining bumps once)

        # Another process's commit, told through Redis.
        await asyncio.to_thread(page_freshness.tell_other_processes)

        assert await asyncio.wait_for(bumps.get(), 10) == page_freshness.versions()[0]
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await layer.flush()
