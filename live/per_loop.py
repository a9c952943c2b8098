"""One object per running event loop, made on first use and let go with its loop.

Futures and timers belong to the loop that made them, so state that holds them
(the run writer's queue, the start pacer's line) is kept per loop: one in
production, a fresh one for each test's loop.
"""

import asyncio
import weakref
from collections.abc import Callable


class PerLoop[T]:
    """``get()`` gives the running loop's object, made by ``make(loop)`` the first time."""

    def __init__(self, make: Callable[[asyncio.AbstractEventLoop], T]) -> None:
        self._make = make
        # Weak keys: a finished loop takes its object with it (the object must
        # not hold its loop strongly, or neither goes).
        self.objects: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        found = self.objects.get(loop)
        if found is None:
            found = self.objects[loop] = self._make(loop)
        return found
