"""A worker past its deadline: swallowing the cancel defeats the timeout, cleaning up does not."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam
from demos.programs import timeouts_cleanup, timeouts_swallowed

DEMO = Demo(
    name="timeouts",
    title="A worker past its deadline",
    description=(
        "main gives a worker a deadline with asyncio.timeout; the worker has more work "
        "than that, in steps of 0.1 s. It either swallows the cancel or cleans up and lets it go."
    ),
    params=(
        FloatParam("deadline", "Deadline (s)", default=0.3, minimum=0.1, maximum=1.0),
        FloatParam("work", "Seconds of work", default=1.0, minimum=0.2, maximum=2.0),
    ),
    # A private loop each: a program that swallows a cancel must never run on
    # the server's loop. It still ends by itself once its work is done (2 s at
    # most), and a reader's cancel stops it at its next print, which the
    # swallowing worker makes as soon as it catches the cancel.
    sync=Variant(
        "Swallow the cancel",
        timeouts_swallowed.main,
        Where.PRIVATE_LOOP,
        why=(
            "The worker swallowed the cancel and did all its work, and main waited for it: the "
            "deadline did not shorten the run."
        ),
        first_lines=(
            "worker: starts 1.0 s of work",
            "worker: cancelled at 0.3 s, in step 3",
            "worker: done at 1.0 s",
            "main: no TimeoutError, the block ended after 1.0 s",
            "main: the worker was cancelled: False",
        ),
    ),
    async_=Variant(
        "Clean up and let it go",
        timeouts_cleanup.main,
        Where.PRIVATE_LOOP,
        why=(
            "The worker cleaned up and let the cancel go, so main got its TimeoutError at the "
            "deadline."
        ),
        first_lines=(
            "worker: starts 1.0 s of work",
            "worker: cleaning up at 0.3 s, in step 3",
            "main: timed out after 0.3 s",
            "main: the worker was cancelled: True",
        ),
    ),
)
