"""One blocking call inside async code stalls every task on the loop."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import blocking_asyncio_sleep, blocking_time_sleep

DEMO = Demo(
    name="blocking",
    title="A blocking call in async code",
    description=(
        "Several tasks take small steps; task 0 waits once in the middle, "
        "with time.sleep or with asyncio.sleep. A heartbeat watches the loop."
    ),
    params=(
        IntParam("tasks", "Tasks", default=3, minimum=2, maximum=5),
        FloatParam("block", "Seconds task 0 waits", default=1.0, minimum=0.1, maximum=3.0),
    ),
    # Both variants run on a private loop in a pool thread: the blocking one
    # stalls that loop, and only that loop, on purpose.
    sync=Variant(
        "Run with time.sleep",
        blocking_time_sleep.main,
        Where.PRIVATE_LOOP,
        why=(
            "time.sleep held the whole loop: no task took a step while it lasted, so the block "
            "was added to every task's time."
        ),
    ),
    async_=Variant(
        "Run with asyncio.sleep",
        blocking_asyncio_sleep.main,
        Where.PRIVATE_LOOP,
        why=(
            "asyncio.sleep let the loop run the other tasks meanwhile: only task 0 took longer, "
            "by its own wait."
        ),
    ),
)
