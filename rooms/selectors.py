"""Reads: finding a room by its code, and whether it may still be joined."""

from dataclasses import dataclass
from importlib import import_module

from channels.auth import get_user
from django.conf import settings
from django.utils import timezone

from rooms import services
from rooms.models import Room
from rooms.state import room_status


@dataclass(frozen=True)
class Found:
    """What a code leads to: ``status`` is open, closed, expired or unknown."""

    status: str
    room: Room | None = None
    teacher: str = ""
    lesson_url: str = ""


async def room_by_code(*, code: str) -> Found:
    """The room of a checked code (rooms.codes.normalize), closing it if it ran idle."""
    room = await Room.objects.select_related("teacher", "lesson__course").filter(code=code).afirst()
    if room is None:
        return Found("unknown")
    status = status_now(room)
    if status == "expired":
        await services.room_close(room_id=room.pk, reason="idle")
    return Found(
        status,
        room,
        teacher=teacher_name(room.teacher),
        lesson_url=room.lesson.get_absolute_url(),
    )


async def staff_user_now(*, session_key: str | None):
    """The active staff user of the session as it is now, or None.

    A socket's scope holds the user as at connect; a teacher logged out,
    demoted or whose password changed since must not open rooms from it.
    """
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = await get_user({"session": store})
    return user if user.is_active and user.is_staff else None


async def teacher_room(*, teacher_id: int, lesson_id: int) -> Room | None:
    """The teacher's open room of the lesson, closing it first if it ran idle or too long."""
    room = await services.room_of_teacher(teacher_id=teacher_id, lesson_id=lesson_id)
    if room is not None and status_now(room) == "expired":
        await services.room_close(room_id=room.pk, reason="idle")
        return None
    return room


async def room_status_now(*, room_id: int) -> str:
    room = await Room.objects.filter(pk=room_id).afirst()
    return "unknown" if room is None else status_now(room)


def status_now(room: Room) -> str:
    return room_status(
        closed_at=room.closed_at,
        last_active_at=room.last_active_at,
        opened_at=room.opened_at,
        now=timezone.now(),
        idle_seconds=settings.ROOM_IDLE_SECONDS,
        max_seconds=settings.ROOM_MAX_SECONDS,
    )


def teacher_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()[:60]
