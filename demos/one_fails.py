"""One task of three fails: gather lets the others run on, a TaskGroup cancels them."""

from demos.base import Demo, Variant, Where
from demos.programs import one_fails_gather, one_fails_taskgroup

DEMO = Demo(
    name="one_fails",
    title="When one task fails",
    description=(
        "Three jobs: quick ends at 0.1 s, faulty raises ValueError at 0.2 s, slow "
        "would end at 0.4 s. Run them with gather, then in a TaskGroup."
    ),
    params=(),
    # A private loop each: gather does not cancel the jobs it leaves behind,
    # and one still running when a run is cancelled must die with its loop.
    sync=Variant(
        "With gather",
        one_fails_gather.main,
        Where.PRIVATE_LOOP,
        why=(
            "gather raised at 0.2 s, when faulty failed, and main then waited 0.3 s more; the "
            "slow job ran on meanwhile."
        ),
        first_lines=(
            "quick: done after 0.1 s",
            "main: gather raised ValueError('faulty failed')",
            "slow: done after 0.4 s",
            "main: done",
        ),
    ),
    async_=Variant(
        "With a TaskGroup",
        one_fails_taskgroup.main,
        Where.PRIVATE_LOOP,
        why=(
            "The group cancelled slow when faulty failed at 0.2 s, and main then waited 0.3 s more."
        ),
        first_lines=(
            "quick: done after 0.1 s",
            "slow: cancelled",
            "main: the group raised (ValueError('faulty failed'),)",
            "main: done",
        ),
    ),
)
