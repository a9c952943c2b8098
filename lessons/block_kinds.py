"""Kinds of fenced block that an app above ``lessons`` adds to lesson Markdown.

``lessons`` renders its own demo and quiz blocks; another app (``exercises``)
registers a kind of its own from its ``AppConfig.ready()``, so that lessons
never imports it. The renderer then validates and renders that kind's blocks
like quizzes: a bounded number per lesson, errors naming the line, the
block's HTML put in after the body's cleaning, and what the app keeps of
each block (``stored``) handed back for the lesson to save.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lessons.body_limits import BodyError


@dataclass(frozen=True)
class BlockKind:
    info: str  # the fence's info string, e.g. "exercise"
    # The block's text to a parsed block; raises a BodyError naming the problem.
    parse: Callable[[str], Any]
    # A parsed block and its index in the lesson (from 0) to its HTML.
    html: Callable[[Any, int], str]
    # What the lesson keeps of a parsed block (plain JSON).
    stored: Callable[[Any], Any]
    most: int  # blocks of this kind a lesson may hold
    error: type[BodyError] = BodyError  # what a lesson with too many is refused with


_KINDS: dict[str, BlockKind] = {}


def register(kind: BlockKind) -> None:
    _KINDS[kind.info] = kind


def registered(info: str) -> BlockKind | None:
    return _KINDS.get(info)
