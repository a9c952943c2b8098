"""Tasks that wait: one after another with time.sleep, together with asyncio.sleep."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import sleep_async, sleep_sync

DEMO = Demo(
    name="sleep",
    title="Sleeping tasks",
    description="Each task waits, then prints Hello.",
    params=(
        IntParam("tasks", "Tasks", default=3, minimum=1, maximum=10),
        FloatParam("seconds", "Seconds per task", default=2.0, minimum=0.05, maximum=5.0),
    ),
    sync=Variant(
        "Run sync",
        sleep_sync.main,
        Where.THREAD,
        why=(
            "The tasks run one after another, so their waits add up: the total is the tasks times"
            " the seconds each."
        ),
    ),
    async_=Variant(
        "Run async",
        sleep_async.main,
        Where.LOOP,
        why=(
            "The tasks wait at the same time, so the total is about one wait, however many tasks "
            "there are."
        ),
    ),
)
