"""Two tasks fail at once: gather raises one error and drops the other, a TaskGroup raises both."""

from demos.base import Demo, Variant, Where
from demos.programs import several_fail_gather, several_fail_taskgroup

DEMO = Demo(
    name="several_fail",
    title="When several tasks fail",
    description=(
        "Three jobs: when the data comes in at 0.2 s, parse raises ValueError and store "
        "raises ConnectionError; report would end at 0.5 s. Run them with gather, then "
        "in a TaskGroup with two except* clauses."
    ),
    params=(),
    # A private loop each: gather does not cancel the job it leaves behind,
    # and one still running when a run is cancelled must die with its loop.
    sync=Variant(
        "With gather",
        several_fail_gather.main,
        Where.PRIVATE_LOOP,
        why=(
            "gather raised at 0.2 s, when the data came in and two jobs failed, and main then "
            "waited 0.5 s more; the report ran on meanwhile."
        ),
        first_lines=(
            "main: gather raised ValueError('line 3 is not a number')",
            "report: done after 0.5 s",
            "main: done",
        ),
    ),
    async_=Variant(
        "With a TaskGroup and except*",
        several_fail_taskgroup.main,
        Where.PRIVATE_LOOP,
        why=(
            "The group cancelled the report when two jobs failed at 0.2 s, and main then waited "
            "0.5 s more."
        ),
        first_lines=(
            "report: cancelled",
            "main: except* ValueError got (ValueError('line 3 is not a number'),)",
            "main: except* ConnectionError got (ConnectionError('the database is down'),)",
            "main: done",
        ),
    ),
)
