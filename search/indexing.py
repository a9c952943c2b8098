"""A lesson's stored HTML cut into sections, and the index rows made from them."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db import connection, transaction

from search.backends import backend_for

# Characters the backends give a meaning (the marks of a match in a snippet, a
# stand-in for "<"): taken out of the text indexed, so only theirs have it.
_RESERVED = re.compile("[\ue000-\ue00f]")


_SECTION_HEADINGS = {"h2", "h3"}
# Where a new line of text starts, so that words of two blocks never run together.
_BLOCKS = {
    "p", "div", "pre", "li", "td", "th", "dt", "dd", "br", "blockquote", "section", "label",
    "legend", "summary", "details", "tr", "h2", "h3", "h4", "h5", "h6", "hr", "button",
}  # fmt: skip
# Markup a reader never reads as the lesson, the same in every demo, quiz or
# exercise: a demo's no-script note, a quiz's buttons ("Check", "Move up"), its
# "Question 1" and its "More than one choice is right" hint, an exercise's
# controls ("Run my version") and its "Exercise 1".
_SKIPPED_CLASSES = {
    "demo-fallback", "quiz-control", "quiz-check", "quiz-kicker", "quiz-hint",
    "exercise-control", "exercise-kicker",
}  # fmt: skip
# The sections every lesson ends with: its links, its summary, its questions.
# Short and full of the lesson's words, they won bm25's length normalisation
# over the teaching ("Further reading" came first for "cancel"); they are still
# found, below a teaching section that matches as well.
SECONDARY_HEADINGS = frozenset({"further reading", "recap", "check yourself"})
SECONDARY_WEIGHT = 0.3
_VOID = {"br", "hr", "img", "input", "wbr", "col", "area", "source"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\s*\n\s*")


@dataclass
class SectionText:
    heading_id: str
    heading: str
    text: str


@dataclass
class _Open:
    heading_id: str
    heading: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _SectionParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [_Open(heading_id="")]
        self.in_heading = False
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_depth:
            self.skip_depth += tag not in _VOID
            return
        values = dict(attrs)
        if _SKIPPED_CLASSES & set((values.get("class") or "").split()):
            self.skip_depth = tag not in _VOID
            return
        if tag in _SECTION_HEADINGS and values.get("id"):
            self.sections.append(_Open(heading_id=values["id"] or ""))
            self.in_heading = True
        elif tag in _BLOCKS:
            self.sections[-1].text.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and tag in _BLOCKS:
            self.sections[-1].text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            self.skip_depth -= tag not in _VOID
            return
        if tag in _SECTION_HEADINGS and self.in_heading:
            self.in_heading = False
        elif tag in _BLOCKS:
            self.sections[-1].text.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        section = self.sections[-1]
        (section.heading if self.in_heading else section.text).append(data)


def _clean(parts: list[str]) -> str:
    text = _RESERVED.sub("", "".join(parts))
    return _LINES.sub("\n", _SPACES.sub(" ", text)).strip()


def sections_of(body_html: str) -> list[SectionText]:
    """The sections of a lesson's HTML: what comes before the first h2 or h3
    (heading id ""), then one per h2 or h3 with an id, up to the next one."""
    parser = _SectionParser()
    parser.feed(body_html)
    parser.close()
    found = []
    for index, section in enumerate(parser.sections):
        text, heading = _clean(section.text), _clean(section.heading)
        if index == 0 and not text:
            continue  # a body that starts with its first heading
        found.append(SectionText(heading_id=section.heading_id, heading=heading, text=text))
    return found


def weight_of(heading: str) -> float:
    return SECONDARY_WEIGHT if heading.strip().casefold() in SECONDARY_HEADINGS else 1.0


def index_lesson(*, section_model, lesson_id: int, title: str, body_html: str) -> int:
    """Replace a lesson's index entries with those of its current HTML; returns how many.

    ``section_model`` is search.models.Section, or its historical version in a
    data migration.
    """
    rows = [
        section_model(
            lesson_id=lesson_id,
            position=position,
            heading_id=section.heading_id,
            heading=section.heading,
            title=title,
            text=section.text,
            weight=weight_of(section.heading),
        )
        for position, section in enumerate(sections_of(body_html))
    ]
    with transaction.atomic():
        section_model.objects.filter(lesson_id=lesson_id).delete()
        section_model.objects.bulk_create(rows)
        backend_for(connection).rows_written(section_model.objects.filter(lesson_id=lesson_id))
    return len(rows)
