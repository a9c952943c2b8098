"""YAML as lessons use it (demo blocks, front matter): plain values, nothing that multiplies.

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
