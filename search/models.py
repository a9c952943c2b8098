from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from lessons.models import Lesson


class Section(models.Model):
    """One searchable part of a lesson: the text under one h2 or h3 heading.

    Derived from the lesson's stored HTML (search.indexing) and never edited by
    hand. On SQLite an FTS5 table over these rows, kept in step by triggers, is
    the index (migration 0001); on PostgreSQL ``vector`` with its GIN index is.
    """

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="search_sections")
    position = models.PositiveIntegerField()
    # The heading's id in the lesson page, "" for the text before the first heading.
    heading_id = models.TextField(blank=True)
    heading = models.TextField(blank=True)
    # The lesson's title, copied into every section: a match there ranks highest.
    title = models.TextField()
    text = models.TextField()
    # What a match here counts for against a match in another section: below 1
    # for the sections that point elsewhere or go over the lesson again
    # (search.indexing.weight_of).
    weight = models.FloatField(default=1.0)
    # PostgreSQL only; stays NULL on SQLite.
    vector = SearchVectorField(null=True)

    class Meta:
        ordering = ["lesson", "position"]
        indexes = [GinIndex(fields=["vector"], name="search_section_vector")]

    def __str__(self) -> str:
        return f"{self.title}: {self.heading or '(top)'}"
