"""Writes: telling readers that a lesson changed, and keeping claims' last checks."""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from lessons.claim_checks import Report
from lessons.models import ClaimCheck, Lesson

logger = logging.getLogger(__name__)


def lesson_group(lesson_id: int) -> str:
    """The channel layer group of a lesson's readers, made from its id alone."""
    if type(lesson_id) is not int:
        raise TypeError(f"a lesson group is made from an int id, not {type(lesson_id).__name__}")
    return f"lesson-{lesson_id}"


def lesson_announce_update(*, lesson: Lesson) -> None:
    """Once the current transaction commits, tell every reader who has ``lesson`` open.

    The message goes through the channel layer's group, so it reaches readers on
    every process. If the layer is unreachable the save still stands: readers
    just are not told, and the failure is logged.
    """
    message = {
        "type": "lesson.updated",
        "lesson": lesson.pk,
        "version": lesson.version,
        "title": lesson.title,
    }
    transaction.on_commit(partial(_lesson_broadcast, lesson_group(lesson.pk), message))


def _lesson_broadcast(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as error:  # Redis down: the save must not fail for it
        logger.warning(
            "could not tell readers that lesson %s changed: %s", message["lesson"], error
        )


def claim_checks_record(*, report: Report) -> None:
    """Keep each checked claim's last result, for the lesson editor's list of claims,
    and only while some lesson holds the claim."""
    now = timezone.now()
    for outcome in report.outcomes:
        ClaimCheck.objects.update_or_create(
            source=outcome.located.claim.source,
            defaults={
                "measured": outcome.measured,
                "passed": outcome.ok,
                "reason": outcome.reason,
                "checked_at": now,
            },
        )
    # A claim edited away would keep its row for ever: each save would add one.
    held = Lesson.objects.filter(body__contains=OuterRef("source"))
    ClaimCheck.objects.exclude(Exists(held)).delete()
