"""Rooms a teacher opened, and the guesses their followers sent."""

from django.conf import settings
from django.db import models

from lessons.models import Lesson


class Room(models.Model):
    code = models.CharField(max_length=8, unique=True, help_text="Shown as ABCD-EFGH.")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    last_active_at = models.DateTimeField(
        help_text="The teacher's last action (ROOM_IDLE_SECONDS)."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=100, blank=True)
    section = models.CharField(
        max_length=200, blank=True, help_text="The heading id the teacher last brought everyone to."
    )
    round = models.PositiveIntegerField(
        default=0, help_text="The latest call for guesses (0: none yet)."
    )
    asking = models.BooleanField(default=False, help_text="Whether followers may guess now.")
    question = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["teacher", "lesson", "closed_at"])]
        constraints = [
            # Two pages opening a room at once must still share one (rooms.services).
            models.UniqueConstraint(
                fields=["teacher", "lesson"],
                condition=models.Q(closed_at=None),
                name="one_open_room_per_teacher_lesson",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.lesson_id})"


class Guess(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="guesses")
    round = models.PositiveIntegerField()
    voter = models.CharField(max_length=200, help_text="The follower's socket: one guess each.")
    seconds = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "round", "voter"], name="one_guess_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.seconds:g} s (round {self.round})"
