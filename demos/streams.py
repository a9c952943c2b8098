"""A TCP server and its clients in one program: a handler that blocks, then one that awaits."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import streams_awaiting, streams_blocking

DEMO = Demo(
    name="streams",
    title="A TCP server with asyncio streams",
    description=(
        "A server on 127.0.0.1, on a port the system picks, answers each line in upper "
        "case after some work; several clients connect at once and send two lines each. "
        "The handler does its work with time.sleep, then with await asyncio.sleep."
    ),
    params=(
        IntParam("clients", "Clients", default=3, minimum=1, maximum=5),
        FloatParam("delay", "Seconds of work per line", default=0.25, minimum=0.05, maximum=1.0),
    ),
    # A private loop each: the blocking handler stalls its loop on purpose, and a
    # server with open connections must die with its loop if a run is cancelled.
    sync=Variant(
        "Handler calls time.sleep",
        streams_blocking.main,
        Where.PRIVATE_LOOP,
        why=(
            "Each handler's time.sleep held the whole loop, so the lines were answered one "
            "after another: the total is every line's work added up."
        ),
    ),
    async_=Variant(
        "Handler awaits asyncio.sleep",
        streams_awaiting.main,
        Where.PRIVATE_LOOP,
        why=(
            "The handlers waited together, so every client's line was answered at once: the "
            "total is about one line's work for each line a client sends."
        ),
    ),
)
