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
def highlighted_source_of(functions: tuple[Callable[..., Any], ...]) -> str:
    return highlight(source_of(functions), PythonLexer(), HtmlFormatter(nowrap=True))
