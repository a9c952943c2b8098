"""Which pages may be kept, and when a kept page is stale.

A view marked ``reader_page`` tells the page cache (tutorialsite.page_cache)
that its answer to an anonymous reader is the same for every such reader.

Every process counts two versions. A save or delete of a course or lesson
bumps the content version at once, again when its transaction commits (a page
rendered in between may have read the old rows), and tells the other
processes through the channel layer when it is shared (Redis), so a reader
who reloads after "this lesson was updated" gets the new page whichever
process answers. Stored runs bump the runs version. ``MAX_AGE`` bounds what
can still be missed: an edit made while the channel layer was unreachable, or
by a process that shares none (``manage.py load_lessons`` beside a
single-process site). An expired page that nobody edited here is rendered
again behind the reader who finds it expired (tutorialsite.page_cache): that
reader, and those who arrive during the render, still get the old copy, so
such a change shows within ``MAX_AGE`` and one render.
"""

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce

logger = logging.getLogger(__name__)

MAX_AGE = 2.0
# A page rendered before the latest stored run is re-rendered once it is this
# old: a busy minute of demos costs one render a second, not one per run.
RUNS_LAG = 1.0
GROUP = "page-freshness"
# channels_redis forgets a group's members after a day; join again well before.
REJOIN_SECONDS = 3600.0
RETRY_SECONDS = (1.0, 30.0)

# The page cache puts a Slot in the ASGI scope under this key.
SCOPE_KEY = "page_cache"


@dataclass
class Slot:
    """Put in the ASGI scope on the way in; the view fills it on the way out."""

    cacheable: bool = False
    nonce: Any = None


def reader_page(view: Callable[..., Awaitable[HttpResponse]]) -> Callable[..., Any]:
    """Mark an async view's response as the same for every anonymous reader.

    Only for views whose output depends on nothing but the URL's path (not its
    query string, nor the port in the Host header), the data and whether the
    reader is logged in: the page cache keeps one copy per path.
    """

    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await view(request, *args, **kwargs)
        slot = getattr(request, "scope", {}).get(SCOPE_KEY)
        if isinstance(slot, Slot) and not (await request.auser()).is_authenticated:
            slot.cacheable = True
            slot.nonce = get_nonce(request)
        return response

    return wrapper


_content_versions = itertools.count(1)
_runs_versions = itertools.count(1)
_current = {"content": next(_content_versions), "runs": next(_runs_versions)}


def content_changed() -> None:
    _current["content"] = next(_content_versions)


def runs_stored() -> None:
    _current["runs"] = next(_runs_versions)


def versions() -> tuple[int, int]:
    return _current["content"], _current["runs"]


def is_fresh(content: int, runs: int, age: float) -> bool:
    """Whether a page rendered at these versions, ``age`` seconds ago, may still be shown."""
    if age >= MAX_AGE or content != _current["content"]:
        return False
    return runs == _current["runs"] or age < RUNS_LAG


def unedited(content: int) -> bool:
    """Whether no course or lesson changed since a page was rendered at ``content``."""
    return content == _current["content"]


def connect_signals() -> None:
    """Hear every save and delete of a course or lesson in this process (the admin's too)."""
    from django.db.models.signals import post_delete, post_save

    from lessons.models import Course, Lesson

    for signal in (post_save, post_delete):
        for model in (Course, Lesson):
            signal.connect(_content_saved, sender=model, dispatch_uid="page_freshness.content")


def _content_saved(**kwargs: Any) -> None:
    content_changed()
    transaction.on_commit(_content_committed, robust=True)


def _content_committed() -> None:
    content_changed()
    tell_other_processes()


def shared_layer() -> Any:
    """The channel layer if other processes share it, else None."""
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


def tell_other_processes() -> None:
    layer = shared_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(GROUP, {"type": "content.changed"})
    except Exception as error:  # the save stands; other processes catch up within MAX_AGE
        logger.warning("could not tell other processes that pages changed: %s", error)


async def hear_other_processes(layer: Any) -> None:
    """Bump the content version whenever another process says it changed; runs forever."""
    pause = RETRY_SECONDS[0]
    while True:
        try:
            channel = await layer.new_channel()
            await layer.group_add(GROUP, channel)
            content_changed()  # whatever was said while we were not listening
            pause = RETRY_SECONDS[0]
            while True:
                try:
                    await asyncio.wait_for(layer.receive(channel), REJOIN_SECONDS)
                except TimeoutError:
                    await layer.group_add(GROUP, channel)
                else:
                    content_changed()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning(
                "cannot hear other processes' page changes (%s); pages expire after %.0f s "
                "meanwhile; trying again in %.0f s",
                error, MAX_AGE, pause,
            )  # fmt: skip
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_SECONDS[1])
