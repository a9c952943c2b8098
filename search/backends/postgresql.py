"""Search on PostgreSQL: a stored tsvector per section (config 'english'), GIN-indexed.

The vector weighs the lesson's title A, the heading B and the text D, so that
SearchRank puts a lesson whose title matches first. One statement answers a
search: an inner query ranks the matching sections, takes the best
CANDIDATES and keeps each lesson's best few of them, and only those get a
SearchHeadline (ts_headline reads the whole text, so it is the costly part).
"""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db.models import ExpressionWrapper, F, FloatField, Max, Q, TextField, Value, Window
from django.db.models.functions import Replace, RowNumber

from lessons.models import Lesson
from search.backends import MARK_END, MARK_START, Row

CONFIG = "english"
# PostgreSQL's parser reads "<b>" in text as an XML tag, which to_tsvector skips and
# ts_headline leaves out: code such as `<b>semaphore</b>` lost its tags in a
# snippet. So the text is read with "<" stood in for by a private-use character
# (indexing strips it from the text), and the snippet gets its "<" back.
LT_STANDIN = "\ue002"


def _readable(field: str) -> Replace:
    return Replace(F(field), Value("<", TextField()), Value(LT_STANDIN, TextField()))


VECTOR = (
    SearchVector(_readable("title"), weight="A", config=CONFIG)
    + SearchVector(_readable("heading"), weight="B", config=CONFIG)
    + SearchVector(_readable("text"), weight="D", config=CONFIG)
)
HEADLINE_WORDS = (15, 35)  # MinWords, MaxWords
CANDIDATES = 500


def find(
    terms: tuple[str, ...], *, include_drafts: bool, max_lessons: int, sections_per_lesson: int
) -> list[Row]:
    from search.models import Section

    # plainto_tsquery: the words ANDed, none of them read as an operator.
    query = SearchQuery(" ".join(terms), config=CONFIG, search_type="plain")
    # Times the section's weight (search.indexing.weight_of).
    rank = ExpressionWrapper(SearchRank(F("vector"), query) * F("weight"), FloatField())
    visible = Q() if include_drafts else Q(lesson__status=Lesson.Status.PUBLISHED)
    # Ranking every match is one pass; grouping them by lesson is a sort of all of
    # them (to disk past work_mem). Only the best CANDIDATES sections go on: the
    # best lessons are the first met among them.
    # The lesson's status is read after (a join here is planned badly until the
    # table has statistics): drafts then only leave the list shorter.
    best = (
        Section.objects.filter(vector=query)
        .annotate(score=rank)
        .order_by("-score", "id")
        .values("id")[:CANDIDATES]
    )
    ranked = Section.objects.filter(visible, id__in=best).annotate(
        score=rank,
        nth=Window(RowNumber(), partition_by=F("lesson_id"), order_by=[rank.desc(), "id"]),
        best=Window(Max(rank), partition_by=F("lesson_id")),
    )
    # The best few sections of each lesson, the best lessons first: a lesson past
    # the limit may lose some of its sections, never its best one before a worse lesson's.
    kept = ranked.filter(nth__lte=sections_per_lesson).order_by("-best", "lesson_id", "-score")
    kept = kept[: max_lessons * sections_per_lesson]
    sections = (
        Section.objects.filter(id__in=kept.values("id"))
        .annotate(
            score=rank,
            best=Window(Max(rank), partition_by=F("lesson_id")),
            snippet=SearchHeadline(
                _readable("text"),
                query,
                config=CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_END,
                min_words=HEADLINE_WORDS[0],
                max_words=HEADLINE_WORDS[1],
            ),
        )
        .order_by("-best", "lesson_id", "-score", "position")
        .values_list(
            "lesson_id",
            "lesson__title",
            "lesson__slug",
            "lesson__course__title",
            "lesson__course__slug",
            "lesson__status",
            "heading_id",
            "heading",
            "snippet",
        )
    )
    return [
        Row(*values[:5], values[5] == Lesson.Status.DRAFT, *values[6:8], _snippet(values[8]))
        for values in sections
    ]


def _snippet(headline: str | None) -> str:
    return (headline or "").replace(LT_STANDIN, "<")


def rows_written(sections) -> None:
    """Compute the stored vectors of the sections just written."""
    sections.update(vector=VECTOR)
