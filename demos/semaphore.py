"""Many weather requests at once: with no limit, then at most ``limit`` at a time."""

from demos.base import Demo, Variant, Where
from demos.params import IntParam
from demos.programs import semaphore_limited, semaphore_unlimited

DEMO = Demo(
    name="semaphore",
    title="Limiting concurrent requests",
    description=(
        "Sends many requests to a weather service, each in a task of its own. First "
        "they all go out at once, then an asyncio.Semaphore lets only a few be in "
        "flight at a time. At the end, the service says how many it served at once."
    ),
    params=(
        IntParam("requests", "Requests", default=12, minimum=1, maximum=20),
        IntParam("limit", "Limit (semaphore)", default=3, minimum=1, maximum=10),
    ),
    # On the server's loop, as the weather demo's async variant: both only wait on
    # the network, and a cancelled run cancels its requests with it.
    sync=Variant(
        "Run with no limit",
        semaphore_unlimited.main,
        Where.LOOP,
        why=(
            "Every request was in flight at once, so the total is about the time of the slowest "
            "answer."
        ),
    ),
    async_=Variant(
        "Run with a semaphore",
        semaphore_limited.main,
        Where.LOOP,
        why=(
            "At most limit requests were in flight at a time, so they went through in waves, and "
            "each wave waited for a place to free up."
        ),
    ),
)
