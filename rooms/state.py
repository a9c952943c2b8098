"""A room's state as plain functions and small classes, with no I/O.

- ``RoomLog``: what a teacher's socket has published to its room, numbered,
  kept for a while so a follower that missed some can ask for them again.
- ``Cursor``: where a follower is in that stream, and whether a batch leaves a
  gap it must ask to have filled.
- ``histogram``: the teacher's view of the guesses, with the measured time.
- ``room_status``: open, closed or idle past its time.
"""

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Item = dict[str, Any]  # one numbered thing published to a room: {"seq": 7, "kind": ...}


@dataclass
class RoomLog:
    """The last ``size`` items a teacher's socket published, numbered from 1.

    ``epoch`` names this numbering: a teacher who reloads the page starts a
    new one, and followers tell the two apart.
    """

    epoch: str
    size: int
    seq: int = 0
    _items: deque[Item] = field(default_factory=deque)

    def add(self, item: Item) -> Item:
        self.seq += 1
        numbered = {"seq": self.seq, **item}
        self._items.append(numbered)
        if len(self._items) > self.size:
            self._items.popleft()
        return numbered

    def since(self, after: int) -> list[Item] | None:
        """Every item after ``after``, or None when the oldest of them is no longer kept."""
        if after >= self.seq:
            return []
        first = self._items[0]["seq"] if self._items else self.seq + 1
        if after + 1 < first:
            return None
        return [item for item in self._items if item["seq"] > after]


@dataclass
class Cursor:
    """A follower's place in its room's stream: the epoch and the last item it has."""

    epoch: str = ""
    seq: int = 0
    # Numberings moved on from: a late batch of one is stale, never a new start.
    left: deque[str] = field(default_factory=lambda: deque(maxlen=16))

    def take(self, epoch: str, items: list[Item]) -> tuple[list[Item], bool]:
        """The items to pass on, in order, and whether some before them are missing.

        Items already had are dropped; at a gap nothing after it is passed on
        (it will come again with the missing ones). A new epoch starts at 1.
        """
        if epoch != self.epoch:
            if epoch in self.left:
                return [], False
            if not items or items[0]["seq"] != 1:
                return [], True
            self._move_to(epoch, 0)
        fresh = []
        for item in items:
            if item["seq"] <= self.seq:
                continue
            if item["seq"] != self.seq + 1:
                return fresh, True
            self.seq = item["seq"]
            fresh.append(item)
        return fresh, False

    def behind(self, epoch: str, seq: int) -> bool:
        """Whether the teacher's latest item (a tick says which) is one this follower lacks."""
        if epoch in self.left:
            return False
        return epoch != self.epoch or seq > self.seq

    def reset(self, epoch: str, seq: int) -> bool:
        """Start over from a snapshot of the room taken at ``seq``; False if it is stale."""
        if epoch in self.left:
            return False
        self._move_to(epoch, seq)
        return True

    def _move_to(self, epoch: str, seq: int) -> None:
        if self.epoch and epoch != self.epoch:
            self.left.append(self.epoch)
        self.epoch, self.seq = epoch, seq


def room_status(
    *,
    closed_at: datetime | None,
    last_active_at: datetime,
    opened_at: datetime,
    now: datetime,
    idle_seconds: float,
    max_seconds: float,
) -> str:
    """``open``, ``closed`` (by its teacher), or ``expired`` (idle too long, or too old)."""
    if closed_at is not None:
        return "closed"
    idle = (now - last_active_at).total_seconds()
    age = (now - opened_at).total_seconds()
    if idle > idle_seconds or age > max_seconds:
        return "expired"
    return "open"


def histogram(
    guesses: list[float], *, measured: float | None = None, max_bins: int = 10
) -> dict[str, Any]:
    """The guesses in bins of a round width (about ``max_bins``), with the measured time.

    Bins cover every guess and the measured time, so the measured line always
    falls on the chart; each bin holds ``low <= guess < high``.
    """
    values = sorted(g for g in guesses if math.isfinite(g) and g >= 0)
    shown = values + ([measured] if measured is not None else [])
    result: dict[str, Any] = {
        "count": len(values),
        "median": round(statistics.median(values), 3) if values else None,
        "measured": measured,
        "bins": [],
    }
    if not shown:
        return result
    low, high = min(shown), max(shown)
    width = _round_width((high - low) / max_bins) if high > low else _round_width(max(high, 1) / 10)
    start = math.floor(low / width) * width
    # The top value gets a bin of its own when it falls on an edge: at most max_bins + 1.
    count = math.floor((high - start) / width) + 1
    counts = [0] * count
    for value in values:
        counts[min(count - 1, int((value - start) // width))] += 1
    result["bins"] = [
        {"low": _tidy(start + i * width), "high": _tidy(start + (i + 1) * width), "count": n}
        for i, n in enumerate(counts)
    ]
    return result


def _round_width(raw: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``raw``."""
    raw = max(raw, 0.01)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= raw:
            return step * power
    return 10 * power


def _tidy(value: float) -> float:
    return round(value, 6)
