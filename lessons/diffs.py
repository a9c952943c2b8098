"""Line diffs of lesson bodies, for the admin's history: plain data, no HTML.

The text is never marked safe here: templates escape every line, since a body
is staff input and may hold any HTML. Work is bounded whatever the bodies: the
common start and end are skipped in linear time, difflib aligns at most
MAX_ALIGNED_LINES lines a side (exactly up to EXACT_ALIGNED_LINES, with its
quicker heuristic above), and at most MAX_SHOWN_LINES changed lines are kept.
"""

import difflib
from dataclasses import dataclass, field
from typing import Literal

# Unchanged lines kept around each change; longer unchanged stretches are folded.
CONTEXT_LINES = 3
# difflib without its junk heuristic costs up to ~30 ms for 500 lines a side (a
# few symbols in random order); with it, up to ~30 ms for 2,000. Beyond that a
# middle is shown as replaced wholesale, which is true, only less precise.
EXACT_ALIGNED_LINES = 500
MAX_ALIGNED_LINES = 2_000
# Added and removed lines kept in one diff; the rest are counted, not shown.
MAX_SHOWN_LINES = 2_000

Kind = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class Line:
    kind: Kind
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class Fold:
    """Unchanged lines left out of the diff, ``count`` of them."""

    count: int
    kind: str = "fold"


@dataclass
class LineDiff:
    rows: list[Line | Fold] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    # Changed lines counted in added/removed but not in rows (over MAX_SHOWN_LINES).
    not_shown: int = 0
    # False when a middle was too long to align and is shown as replaced wholesale.
    aligned: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def lines_of(text: str) -> list[str]:
    """A body's lines, whatever its line endings and final newline (forms strip it)."""
    return text.splitlines()


def line_diff(old: str, new: str, *, context: int = CONTEXT_LINES) -> LineDiff:
    """The lines of ``new`` added and of ``old`` removed, with unchanged ones folded."""
    a, b = lines_of(old), lines_of(new)
    start = _common_start(a, b)
    end = _common_end(a, b, start)
    diff = LineDiff()
    marked: list[Line] = [Line("same", n + 1, n + 1, a[n]) for n in range(start)]
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    for kind, i1, i2, j1, j2 in _opcodes(middle_a, middle_b, diff):
        if kind == "equal":
            marked += [
                Line("same", start + i + 1, start + j + 1, middle_a[i])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        marked += [Line("removed", start + i + 1, None, middle_a[i]) for i in range(i1, i2)]
        marked += [Line("added", None, start + j + 1, middle_b[j]) for j in range(j1, j2)]
    marked += [
        Line("same", len(a) - end + k + 1, len(b) - end + k + 1, a[len(a) - end + k])
        for k in range(end)
    ]
    _fold(marked, diff, context)
    return diff


def _common_start(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_end(a: list[str], b: list[str], start: int) -> int:
    n = 0
    limit = min(len(a), len(b)) - start
    while n < limit and a[len(a) - 1 - n] == b[len(b) - 1 - n]:
        n += 1
    return n


def _opcodes(a: list[str], b: list[str], diff: LineDiff) -> list[tuple[str, int, int, int, int]]:
    if not a and not b:
        return []
    if max(len(a), len(b)) > MAX_ALIGNED_LINES:
        diff.aligned = False
        return [("replace", 0, len(a), 0, len(b))]
    exact = max(len(a), len(b)) <= EXACT_ALIGNED_LINES
    return difflib.SequenceMatcher(None, a, b, autojunk=not exact).get_opcodes()


def _fold(marked: list[Line], diff: LineDiff, context: int) -> None:
    """Keep changed lines and ``context`` lines around them; fold the rest."""
    changed = [i for i, line in enumerate(marked) if line.kind != "same"]
    keep = set()
    for i in changed:
        keep.update(range(max(0, i - context), min(len(marked), i + context + 1)))
    folded = 0
    shown_changes = 0
    for i, line in enumerate(marked):
        if line.kind == "added":
            diff.added += 1
        elif line.kind == "removed":
            diff.removed += 1
        if i not in keep:
            folded += 1
            continue
        if line.kind != "same":
            if shown_changes >= MAX_SHOWN_LINES:
                diff.not_shown += 1
                continue
            shown_changes += 1
        elif shown_changes >= MAX_SHOWN_LINES:
            continue  # context of changes that are not shown
        if folded:
            diff.rows.append(Fold(folded))
            folded = 0
        diff.rows.append(line)
    if folded and diff.changed:
        diff.rows.append(Fold(folded))
