"""The source a reader sees beside a demo, taken from the functions that run."""

import inspect
import textwrap
from collections.abc import Callable
from functools import cache
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


def source_of(functions: tuple[Callable[..., Any], ...]) -> str:
    """The exact text of ``functions`` as written in their module."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(fn)).strip() for fn in functions) + "\n"


@cache
def listing_lines(functions: tuple[Callable[..., Any], ...]) -> dict[int, int]:
    """Where each line of the functions' file appears in ``source_of``'s text (from 1)."""
    where: dict[int, int] = {}
    listing_line = 1
    for fn in functions:
        lines, first = inspect.getsourcelines(fn)
        count = len(textwrap.dedent("".join(lines)).strip().splitlines())
        for offset in range(count):
            where[first + offset] = listing_line + offset
        listing_line += count + 1  # the blank line between two functions
    return where


@cache
def highlighted_source_of(functions: tuple[Callable[..., Any], ...]) -> str:
    return highlight(source_of(functions), PythonLexer(), HtmlFormatter(nowrap=True))
