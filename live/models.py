"""Stored demo runs, and the count of those pruned."""

from django.db import models


class DemoRun(models.Model):
    class Mode(models.TextChoices):
        SYNC = "sync", "Sync"
        ASYNC = "async", "Async"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    demo = models.CharField(max_length=40, db_index=True)
    mode = models.CharField(max_length=5, choices=Mode)
    params = models.JSONField(help_text="The normalized parameters the run used.")
    status = models.CharField(max_length=10, choices=Status)
    elapsed = models.FloatField(help_text="Seconds, measured on the server.")
    timeline = models.JSONField(help_text="Each task's start, end, outcome and output.")
    reason = models.CharField(max_length=300, blank=True)
    trace = models.JSONField(
        null=True,
        blank=True,
        help_text="A traced run's event-loop records (docs/protocol.md); empty when not traced.",
    )
    code = models.TextField(
        blank=True,
        default="",
        help_text="A reader's own program, run in a sandbox; empty for the demo's own.",
    )
    output = models.JSONField(
        null=True,
        blank=True,
        help_text="What a reader's program wrote outside any task ([t, text, stream]); "
        "empty otherwise.",
    )
    share_token = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text="Set when the reader shared the run: its address is /runs/<token>/. "
        "Only the newest DEMO_SHARED_RUNS_KEPT shared runs are kept.",
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    lesson = models.ForeignKey(
        "lessons.Lesson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The lesson the run was shared from, where it can be run again.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table keeps the name it had before this app held the model.
        db_table = "lessons_demorun"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["demo", "mode", "status"])]

    def __str__(self) -> str:
        return f"{self.demo} {self.mode} {self.status} {self.elapsed:.2f} s"

    @property
    def is_shared(self) -> bool:
        return self.share_token is not None


class DemoRunTally(models.Model):
    """Finished ("ok") runs of a demo and mode that were pruned from DemoRun.

    Old runs are deleted to keep the table bounded (live.run_pruning); their
    count lives on here, so "Runs so far" still counts every run.
    """

    demo = models.CharField(max_length=40)
    mode = models.CharField(max_length=5, choices=DemoRun.Mode)
    pruned_ok = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "lessons_demoruntally"
        constraints = [
            models.UniqueConstraint(fields=["demo", "mode"], name="one_tally_per_demo_mode")
        ]

    def __str__(self) -> str:
        return f"{self.demo} {self.mode}: {self.pruned_ok} pruned"
