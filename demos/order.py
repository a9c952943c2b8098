"""What runs when: a callback, a timer, a coroutine awaited and a task created."""

from demos.base import Demo, Variant, Where
from demos.programs import order_await, order_task

DEMO = Demo(
    name="order",
    title="What runs when",
    description=(
        "A callback for the next turn, a timer, and greet() either awaited as a "
        "coroutine or started as a task. Each line says when it ran."
    ),
    params=(),
    # A private loop each: a timer still pending when a run is cancelled dies
    # with its loop instead of printing after the run has ended.
    sync=Variant(
        "Await the coroutine",
        order_await.main,
        Where.PRIVATE_LOOP,
        why=(
            "Nothing waits long: the 10 ms timer is the longest wait in the program, and the rest"
            " runs in a few turns of the loop."
        ),
        first_lines=(
            "main: awaits greet()",
            "coroutine: first half",
            "call_soon: the next turn",
            "coroutine: second half",
            "main: greet() is done",
            "call_later: 10 ms on",
        ),
    ),
    async_=Variant(
        "Create a task",
        order_task.main,
        Where.PRIVATE_LOOP,
        why=(
            "Nothing waits long: the 10 ms timer is the longest wait in the program, and the rest"
            " runs in a few turns of the loop."
        ),
        first_lines=(
            "main: created the task",
            "call_soon: the next turn",
            "task: first half",
            "task: second half",
            "main: the task is done",
            "call_later: 10 ms on",
        ),
    ),
)
