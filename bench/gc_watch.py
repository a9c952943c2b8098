"""The server's garbage collections, counted per generation with their pauses.

A full collection walks every object the process holds, and with a thousand
readers connected it stops the loop for a noticeable time; which round of a
scenario it lands in can decide that round's p99. So the readers scenario
records, per round, how many collections ran and how long the full ones
held the loop (``/bench/gc/``), and the results show where the pauses fell.
"""

import gc
import time
from collections import deque
from typing import Any

from bench.replies import send_json

OLDEST = 2
# time.perf_counter is CLOCK_MONOTONIC on Linux, one clock for every process of
# the machine: the load generator can tell which of its phases a pause fell in.
KEPT_FULL_COLLECTIONS = 100


class GcWatch:
    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.pause_seconds = [0.0, 0.0, 0.0]
        self.longest_pause = [0.0, 0.0, 0.0]
        # (when it began, how long it held the loop) of the last full collections
        self.full: deque[tuple[float, float]] = deque(maxlen=KEPT_FULL_COLLECTIONS)
        self._started = 0.0

    def on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        pause = time.perf_counter() - self._started
        self.collections[generation] += 1
        self.pause_seconds[generation] += pause
        self.longest_pause[generation] = max(self.longest_pause[generation], pause)
        if generation == OLDEST:
            self.full.append((self._started, pause))

    def snapshot(self) -> dict[str, Any]:
        return {
            "collections": list(self.collections),
            "pause_seconds": [round(s, 4) for s in self.pause_seconds],
            "longest_pause": [round(s, 4) for s in self.longest_pause],
            "full": [[began, round(pause, 4)] for began, pause in self.full],
            # A walk of the whole heap: taken between timed runs only.
            "tracked_objects": len(gc.get_objects()),
        }


WATCH = GcWatch()


def install() -> None:
    """Start counting in this process (the server's; bench.asgi calls it)."""
    if WATCH.on_collection not in gc.callbacks:
        gc.callbacks.append(WATCH.on_collection)


def between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What happened between two snapshots: collections and pauses per generation."""
    return {
        "young_collections": after["collections"][0] - before["collections"][0],
        "middle_collections": after["collections"][1] - before["collections"][1],
        "full_collections": after["collections"][OLDEST] - before["collections"][OLDEST],
        "full_pause_seconds": round(
            after["pause_seconds"][OLDEST] - before["pause_seconds"][OLDEST], 4
        ),
        "all_pause_seconds": round(sum(after["pause_seconds"]) - sum(before["pause_seconds"]), 4),
        "tracked_objects_after": after["tracked_objects"],
    }


def where_full_fell(snapshot: dict[str, Any], phases: list[tuple[str, float, float]]) -> list:
    """Each full collection since the first phase began, named by the phase it began in.

    ``phases`` are (name, start, end) on the perf_counter clock, in order.
    """
    first = phases[0][1] if phases else float("inf")
    fell = []
    for began, pause in snapshot["full"]:
        if began < first:
            continue
        named = next((name for name, start, end in phases if start <= began < end), "between")
        fell.append({"phase": named, "pause_seconds": pause})
    return fell


async def gc_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send_json(send, WATCH.snapshot())
