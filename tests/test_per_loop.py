"""Per-loop state: one object for each running loop, the same one each time in it."""

import asyncio

from live.per_loop import PerLoop


def test_each_loop_gets_its_own_object_and_keeps_it():
    made = []
    per_loop = PerLoop(lambda loop: made.append(loop) or object())

    async def twice():
        return per_loop.get(), per_loop.get()

    first, again = asyncio.run(twice())
    other, _ = asyncio.run(twice())

    assert first is again
    assert other is not first
    assert len(made) == 2
