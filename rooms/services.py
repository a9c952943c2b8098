"""Writes: opening, touching, closing and pruning rooms, and storing guesses."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from rooms import codes
from rooms.models import Guess, Room

CODE_ATTEMPTS = 5


async def room_open(*, teacher_id: int, lesson_id: int) -> tuple[Room, bool]:
    """The teacher's open room for this lesson, or a new one; and whether it is new.

    A teacher who reloads the page finds the room still open (the followers
    are still there), so opening twice gives the same room, even when two
    pages open it at the same moment: the database holds one open room per
    teacher and lesson (Room.Meta), and the one that loses the race gets the
    winner's. Each new room first prunes the rooms ended long ago.
    """
    existing = await room_of_teacher(teacher_id=teacher_id, lesson_id=lesson_id)
    if existing is not None:
        await room_touch(room_id=existing.pk)
        return existing, False
    await prune_rooms(kept_days=settings.ROOMS_KEPT_DAYS)
    for _ in range(CODE_ATTEMPTS):
        try:
            room = await Room.objects.acreate(
                code=codes.new_code(),
                lesson_id=lesson_id,
                teacher_id=teacher_id,
                last_active_at=timezone.now(),
            )
        except IntegrityError:
            # Another page of the teacher opened it first, or the code was taken.
            existing = await room_of_teacher(teacher_id=teacher_id, lesson_id=lesson_id)
            if existing is not None:
                return existing, False
            continue  # the code was taken: draw again
        return room, True
    raise RuntimeError("could not draw a free room code")


async def prune_rooms(*, kept_days: float) -> int:
    """Delete the rooms, with their guesses, that ended more than ``kept_days`` ago.

    A room ended when it was closed, or, if nobody closed it, when its teacher
    last acted (it expired long before: ROOM_IDLE_SECONDS is at most a day).
    Pruned when a room opens, the only thing that adds rooms, as stored runs
    are pruned when runs are stored (live.run_pruning): the table stays
    bounded by the rooms of the last ``kept_days``.
    """
    before = timezone.now() - timedelta(days=kept_days)
    ended = Q(closed_at__lt=before) | Q(closed_at=None, last_active_at__lt=before)
    _, deleted = await Room.objects.filter(ended).adelete()
    return deleted.get(Room._meta.label, 0)


async def room_of_teacher(*, teacher_id: int, lesson_id: int) -> Room | None:
    return (
        await Room.objects.filter(teacher_id=teacher_id, lesson_id=lesson_id, closed_at=None)
        .order_by("-opened_at")
        .afirst()
    )


async def room_touch(*, room_id: int, **changes: object) -> datetime:
    """Record an action of the teacher (and any ``changes``): the room is not idle."""
    now = timezone.now()
    await Room.objects.filter(pk=room_id).aupdate(last_active_at=now, **changes)
    return now


async def room_close(*, room_id: int, reason: str) -> bool:
    """Close the room; False when it was already closed (someone else told its followers)."""
    changed = await Room.objects.filter(pk=room_id, closed_at=None).aupdate(
        closed_at=timezone.now(), close_reason=reason[:100], asking=False
    )
    return bool(changed)


async def guess_record(*, room_id: int, round_no: int, voter: str, seconds: float) -> None:
    """A follower's guess for the round; a second one from the same socket replaces it."""
    await Guess.objects.aupdate_or_create(
        room_id=room_id, round=round_no, voter=voter, defaults={"seconds": seconds}
    )


async def round_guesses(*, room_id: int, round_no: int) -> dict[str, float]:
    return {
        voter: seconds
        async for voter, seconds in Guess.objects.filter(
            room_id=room_id, round=round_no
        ).values_list("voter", "seconds")
    }
