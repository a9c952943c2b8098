"""Three bugs in one program, run without and with asyncio's debug mode."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam
from demos.programs import debug_mode_off, debug_mode_on

DEMO = Demo(
    name="debug_mode",
    title="asyncio's debug mode",
    description=(
        "A callback blocks the loop, a coroutine is never awaited, a task fails and "
        "nobody asks for its result. The program prints what asyncio reports, "
        "without debug mode and then with it."
    ),
    params=(
        FloatParam("block", "Seconds the callback blocks", default=0.3, minimum=0.05, maximum=1.0),
    ),
    # A private loop each: the program blocks its loop on purpose, turns on
    # debug mode and sets the loop's exception handler, all for its loop alone.
    sync=Variant(
        "Without debug mode",
        debug_mode_off.main,
        Where.PRIVATE_LOOP,
        alone=True,
        why=(
            "The blocking callback held the loop for its whole time, and nothing reported "
            "it: the run lasted about that long."
        ),
    ),
    async_=Variant(
        "With debug mode",
        debug_mode_on.main,
        Where.PRIVATE_LOOP,
        alone=True,
        why=(
            "The callback blocked the loop just as long; debug mode only reported it, and "
            "reporting costs little here."
        ),
    ),
)
