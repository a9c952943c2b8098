"""YAML as lessons use it (demo and quiz blocks, front matter): plain, nothing that multiplies.

PyYAML's safe loader still expands aliases: a few hundred bytes of nested
``*refs`` (a "billion laughs") build gigabytes in seconds. Lessons never need
them, so anchors and aliases are refused before anything is built, and lists
and mappings may nest only a few levels (a deep one would also exhaust the
composer's recursion).
"""

from typing import Any

import yaml

# A demo block nests two levels (a mapping holding a list of cities); front matter one.
MAX_DEPTH = 4


class PlainYAMLError(ValueError):
    """Valid YAML refused here; the message says what to write instead."""


class _PlainLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Every node passes here before it is built: an alias is refused before
        # it is expanded, a collection before the one inside it is read.
        event = self.peek_event()
        if event.anchor is not None:  # set on an anchored node and on an alias alike
            raise PlainYAMLError(
                "YAML anchors and aliases (&name, *name) are not allowed; write each value out"
            )
        nests = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if nests:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise PlainYAMLError(f"lists and mappings may nest at most {MAX_DEPTH} deep")
        try:
            return super().compose_node(parent, index)
        finally:
            if nests:
                self._depth -= 1


def load(text: str) -> Any:
    """Like ``yaml.safe_load``; raises PlainYAMLError for aliases and deep nesting."""
    loader = _PlainLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_block(text: str, *, kind: str, max_bytes: int, error: type[Exception]) -> Any:
    """A fenced block's YAML (a ``demo`` or ``quiz`` block), bounded in size before it
    is read; any problem raised as ``error``, its message naming the ``kind`` of block."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise error(f"{kind} block holds {size:,} bytes; at most {max_bytes:,} are allowed")
    try:
        return load(text)
    except PlainYAMLError as exc:
        raise error(f"{kind} block: {exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{kind} block is not valid YAML ({_problem(exc)})") from None


def _problem(exc: yaml.YAMLError) -> str:
    # The line inside the block; the renderer adds the block's own line in the lesson.
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    return f"{problem}, line {mark.line + 1} of the block" if mark is not None else problem
