"""Search on SQLite: an FTS5 table over search_section, with the porter stemmer.

The table and the triggers that keep it in step with search_section are made by
migration 0001 (``FTS_TABLE``). One statement answers a search: the MATCH
ranks every matching section by bm25 (a match in the lesson's title weighs
most, then in the heading), the best CANDIDATES go on to be grouped by lesson,
each lesson keeps its best few, and only those get a snippet. A section's
score is its bm25 times its weight (search.indexing.weight_of).
"""

from django.db import connection

from lessons.models import Lesson
from search.backends import MARK_END, MARK_START, Row

FTS_TABLE = "search_section_fts"
# bm25 weights of the FTS table's columns: title, heading, text.
WEIGHTS = (10.0, 4.0, 1.0)
SNIPPET_TOKENS = 32

# How many of the best sections are ranked further: FTS5 sorts every match by
# bm25 in C, but grouping them by lesson in SQL costs per row. The best ten
# lessons are the first ten met in this list, unless fewer come in 500 sections.
CANDIDATES = 500
_RANK = "bm25({})".format(", ".join(f"{weight:.1f}" for weight in WEIGHTS))

_SEARCH = f"""
WITH best AS (
    SELECT rowid AS id, rank AS score FROM {FTS_TABLE}
    WHERE {FTS_TABLE} MATCH %s AND rank MATCH '{_RANK}'
    ORDER BY rank LIMIT {CANDIDATES}
), matched AS (
    SELECT best.id, s.lesson_id, best.score * s.weight AS score
    FROM best
    JOIN search_section AS s ON s.id = best.id
    JOIN lessons_lesson AS l ON l.id = s.lesson_id
    WHERE (%s OR l.status = %s)
), ranked AS (
    SELECT id, lesson_id, score,
        ROW_NUMBER() OVER (PARTITION BY lesson_id ORDER BY score, id) AS nth,
        MIN(score) OVER (PARTITION BY lesson_id) AS best
    FROM matched
), kept AS (
    SELECT id, score, best, DENSE_RANK() OVER (ORDER BY best, lesson_id) AS place
    FROM ranked WHERE nth <= %s
)
SELECT l.id, l.title, l.slug, c.title, c.slug, l.status, s.heading_id, s.heading,
    snippet({FTS_TABLE}, 2, %s, %s, '…', {SNIPPET_TOKENS})
FROM kept
JOIN {FTS_TABLE} AS f ON f.rowid = kept.id
JOIN search_section AS s ON s.id = kept.id
JOIN lessons_lesson AS l ON l.id = s.lesson_id
JOIN lessons_course AS c ON c.id = l.course_id
WHERE kept.place <= %s AND {FTS_TABLE} MATCH %s
ORDER BY kept.place, kept.score, s.position
"""


def match_expression(terms: tuple[str, ...]) -> str:
    """FTS5 query syntax for "every one of these words": each a quoted string, so
    that none is read as an operator (AND, NEAR), a column or a prefix."""
    return " ".join('"{}"'.format(term.replace('"', '""')) for term in terms)


def find(
    terms: tuple[str, ...], *, include_drafts: bool, max_lessons: int, sections_per_lesson: int
) -> list[Row]:
    match = match_expression(terms)
    params = [
        match,
        include_drafts,
        Lesson.Status.PUBLISHED,
        sections_per_lesson,
        MARK_START,
        MARK_END,
        max_lessons,
        match,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SEARCH, params)
        found = cursor.fetchall()
    return [
        Row(*values[:5], values[5] == Lesson.Status.DRAFT, *values[6:8], values[8] or "")
        for values in found
    ]


def rows_written(sections) -> None:
    """Nothing to do: the triggers on search_section have updated the FTS table."""
