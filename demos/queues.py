"""A producer and a pool of workers around a queue: without a bound, then with maxsize."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import queue_bounded, queue_unbounded

DEMO = Demo(
    name="queue",
    title="A queue between a producer and workers",
    description=(
        "A producer puts jobs in a queue as fast as it can; a pool of workers takes "
        "them one at a time and spends a while on each. First the queue has no "
        "bound, then it holds at most maxsize jobs."
    ),
    params=(
        IntParam("jobs", "Jobs", default=8, minimum=1, maximum=20),
        IntParam("workers", "Workers", default=2, minimum=1, maximum=5),
        FloatParam("seconds", "Seconds per job", default=0.25, minimum=0.05, maximum=1.0),
        IntParam("maxsize", "maxsize (bounded queue)", default=2, minimum=1, maximum=10),
    ),
    # A private loop each: a run cancelled while its workers wait on the queue
    # must not leave them waiting on the server's loop; they die with their own.
    sync=Variant(
        "Run unbounded",
        queue_unbounded.main,
        Where.PRIVATE_LOOP,
        why=(
            "The workers set the pace: each takes one job at a time, so the total is about the "
            "jobs divided among the workers, times the seconds per job."
        ),
    ),
    async_=Variant(
        "Run bounded",
        queue_bounded.main,
        Where.PRIVATE_LOOP,
        why=(
            "The bound made the producer wait, not the workers: the total is the same jobs "
            "divided among the same workers."
        ),
    ),
)
