"""The source a reader sees beside a demo: the whole file of the program that runs."""

import inspect
from functools import cache
from types import ModuleType

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


def source_of(program: ModuleType) -> str:
    """The exact text of ``program``'s file: line N of the listing is line N of the file,
    so a line a trace names (``co_firstlineno``, ``f_lineno``) needs no mapping."""
    return inspect.getsource(program)


@cache
def highlighted_source_of(program: ModuleType) -> str:
    return highlight(source_of(program), PythonLexer(), HtmlFormatter(nowrap=True))
