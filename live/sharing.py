"""Sharing a finished run: an unguessable address that replays it.

A reader shares a run they have just seen finish on their own socket: the
consumer remembers the stored ids of its connection's latest runs and the page
names a run by the id it chose itself, so nobody can share (or reach) another
reader's run by counting database ids. Sharing gives the run a token from
``secrets`` (``TOKEN_BYTES`` random bytes); its page is ``/runs/<token>/``, and
a shared run is kept until ``DEMO_SHARED_RUNS_KEPT`` newer ones were shared
(live.run_pruning). A run over ``DEMO_SHARE_MAX_BYTES`` is not shared: the
number of runs kept and the size of each bound what sharing can make the
database keep.
"""

import json
import secrets

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.models import Lesson
from live.models import DemoRun

# 192 bits, 32 characters: far past guessing, and short enough to paste.
TOKEN_BYTES = 24
# A connection remembers this many of its latest finished runs for sharing.
SHAREABLE_PER_CONNECTION = 20


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def run_url(token: str) -> str:
    return f"/runs/{token}/"


class RunTooBig(Exception):
    """The run's stored size (``size`` bytes) is over ``limit``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"this run is too big to share: {_kb(size)} KB, the limit is {_kb(limit)} KB"
        )
        self.size, self.limit = size, limit


def _kb(size: int) -> int:
    return -(-size // 1024)  # rounded up: a run just over the limit never reads as equal


def stored_size(run: DemoRun) -> int:
    """What the run's bulky columns weigh, as JSON the way the database is given it."""
    return len(json.dumps([run.timeline, run.trace, run.output, run.code]).encode())


def share_run(*, run_id: int, lesson_id: int | None) -> str | None:
    """Mark the stored run ``run_id`` shared; its token, or None if it is gone.

    Sharing a run again gives the token it already has. ``lesson_id`` is the
    page it was shared from: kept when it is a published lesson that embeds
    the run's demo (the replay links back to it), else left out. A run
    heavier than ``DEMO_SHARE_MAX_BYTES`` raises ``RunTooBig``.
    """
    for _ in range(3):  # a token already taken is a 2**-192 chance; try another
        try:
            with transaction.atomic():
                run = (
                    DemoRun.objects.select_for_update()
                    .only("id", "demo", "share_token", "timeline", "trace", "output", "code")
                    .filter(pk=run_id)
                    .first()
                )
                if run is None:
                    return None
                if run.share_token is not None:
                    return run.share_token
                size = stored_size(run)
                if size > settings.DEMO_SHARE_MAX_BYTES:
                    raise RunTooBig(size, settings.DEMO_SHARE_MAX_BYTES)
                token = new_token()
                DemoRun.objects.filter(pk=run_id).update(
                    share_token=token,
                    shared_at=timezone.now(),
                    lesson=_lesson_of(lesson_id, run.demo),
                )
                return token
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free share token")


def _lesson_of(lesson_id: int | None, demo: str) -> Lesson | None:
    if lesson_id is None:
        return None
    lesson = Lesson.objects.published().filter(pk=lesson_id).only("id", "demo_names").first()
    return lesson if lesson is not None and demo in lesson.demo_names else None


share_run_async = database_sync_to_async(share_run)


async def shared_run(*, token: str) -> DemoRun | None:
    """The shared run with ``token``, with its lesson and course, or None."""
    return await DemoRun.objects.select_related("lesson__course").filter(share_token=token).afirst()
