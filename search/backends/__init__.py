"""``search(query, include_drafts=...)``: one indexed query, on whichever database runs.

Each backend module (``sqlite``, ``postgresql``) answers ``find(terms, ...)``
with rows in order of relevance, their snippets marked with MARK_START and
MARK_END, and ``rows_written(sections)`` for what an index needs after rows of
search.models.Section are written. The user's text never reaches the database
as query syntax: it is cut into words here, and each backend quotes them.
"""

import html
import re
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from django.db import connection
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

# What one query searches: the first MAX_QUERY_CHARS characters, at most MAX_TERMS words.
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
# Lessons on the results page, and matching sections shown under each.
MAX_LESSONS = 10
SECTIONS_PER_LESSON = 2
# Private-use characters (search.indexing keeps U+E000 to U+E00F out of the index).
MARK_START, MARK_END = "\ue000", "\ue001"

_WORD = re.compile(r"\w+")
# A marked match: what split() keeps between the text around matches.
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
_BACKENDS = {"sqlite": "search.backends.sqlite", "postgresql": "search.backends.postgresql"}


# Words too common to be worth requiring: the stop words of PostgreSQL's 'english'
# configuration (Snowball's list), so that both databases read a query alike.
STOP_WORDS = frozenset({
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
    "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by",
    "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
    "under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
    "just", "don", "should", "now",
})  # fmt: skip


@dataclass(frozen=True)
class Query:
    text: str  # what was searched: the query cut to MAX_QUERY_CHARS
    terms: tuple[str, ...]
    truncated: bool


@dataclass(frozen=True)
class Row:
    """What a backend returns for one matching section."""

    lesson_id: int
    lesson_title: str
    lesson_slug: str
    course_title: str
    course_slug: str
    is_draft: bool
    heading_id: str
    heading: str
    snippet: str  # plain text, matches between MARK_START and MARK_END


@dataclass(frozen=True)
class Hit:
    """One section of a lesson that matches, for the results page."""

    lesson_id: int
    lesson_title: str
    course_title: str
    is_draft: bool
    heading: str
    url: str  # the lesson's page, at the section's heading
    snippet: SafeString  # escaped text, each match in a <mark>


def parse_query(raw: str) -> Query:
    """The words of a query: letters and digits of any script, lowercased, each once.

    Everything else (quotes, ``*``, ``^``, parentheses, ``-``) only separates
    words; operators such as AND or NEAR are words like any other. STOP_WORDS
    are left out, unless the query holds nothing else.
    """
    text = raw[:MAX_QUERY_CHARS]
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in words:
            words.append(word)
    terms = [word for word in words if word not in STOP_WORDS] or words
    return Query(text=text, terms=tuple(terms[:MAX_TERMS]), truncated=len(raw) > MAX_QUERY_CHARS)


def backend_for(db_connection) -> ModuleType:
    try:
        return import_module(_BACKENDS[db_connection.vendor])
    except KeyError:
        raise NotImplementedError(f"no search backend for {db_connection.vendor}") from None


def search(query: str, *, include_drafts: bool) -> list[Hit]:
    """Sections of lessons matching every word of ``query``, the most relevant
    lesson first; at most SECTIONS_PER_LESSON sections of MAX_LESSONS lessons.
    Drafts only with ``include_drafts`` (staff)."""
    terms = parse_query(query).terms
    if not terms:
        return []
    rows = backend_for(connection).find(
        terms,
        include_drafts=include_drafts,
        max_lessons=MAX_LESSONS,
        sections_per_lesson=SECTIONS_PER_LESSON,
    )
    return [_hit(row) for row in rows]


def _hit(row: Row) -> Hit:
    url = reverse("lessons:lesson", kwargs={"course": row.course_slug, "lesson": row.lesson_slug})
    return Hit(
        lesson_id=row.lesson_id,
        lesson_title=row.lesson_title,
        course_title=row.course_title,
        is_draft=row.is_draft,
        heading=row.heading or row.lesson_title,
        url=f"{url}#{row.heading_id}" if row.heading_id else url,
        snippet=marked(row.snippet),
    )


def marked(snippet: str) -> SafeString:
    """A backend's snippet as HTML: its text escaped, each marked match in a <mark>
    (a mark left unclosed, or closed unopened, is dropped)."""
    pieces = _MARKED.split(snippet)  # text, match, text, match... text
    parts = []
    for index, piece in enumerate(pieces):
        escaped = html.escape(_unmarked(piece), quote=False)
        parts.append(f"<mark>{escaped}</mark>" if index % 2 else escaped)
    return mark_safe("".join(parts))


def _unmarked(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")
