"""A future, the empty slot a callback fills later: with a result or an exception."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam
from demos.programs import future_exception, future_result

DEMO = Demo(
    name="future",
    title="A future filled by a callback",
    description=(
        "main makes an empty future and sets a timer whose callback fills it; "
        "main awaits the future until then."
    ),
    params=(
        FloatParam("delay", "Seconds before the callback", default=0.5, minimum=0.05, maximum=3.0),
    ),
    # A private loop each: a timer still pending when a run is cancelled dies
    # with its loop instead of printing after the run has ended.
    sync=Variant(
        "Fill it with a result",
        future_result.main,
        Where.PRIVATE_LOOP,
        why=(
            "main did nothing but wait on the future, so the run lasts as long as the timer's "
            "delay before the callback filled it."
        ),
        first_lines=(
            "main: is the future done? False",
            "callback: puts a result in the future",
            "main: got 'a parcel'; is the future done? True",
        ),
    ),
    async_=Variant(
        "Fill it with an exception",
        future_exception.main,
        Where.PRIVATE_LOOP,
        why=(
            "main did nothing but wait on the future, so the run lasts as long as the timer's "
            "delay before the callback set the exception."
        ),
    ),
)
