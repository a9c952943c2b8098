"""CPU work off the loop: in threads the GIL runs it one at a time, in processes side by side."""

from demos.base import Demo, Variant, Where
from demos.programs import cpu_work_process, cpu_work_thread

DEMO = Demo(
    name="cpu_work",
    title="CPU work in threads and in processes",
    description=(
        "Two jobs each run a pure-Python loop: with asyncio.to_thread, then in a "
        "process pool with loop.run_in_executor. A heartbeat watches the loop."
    ),
    params=(),
    # A private loop each: a run cancelled while its jobs compute must not
    # leave the server's loop waiting for a thread or a pool to finish.
    sync=Variant(
        "With asyncio.to_thread",
        cpu_work_thread.main,
        Where.PRIVATE_LOOP,
        tracing=False,
        why=(
            "The GIL let only one thread run Python code at a time, so the two jobs took "
            "turns: the total is about both jobs' time added up."
        ),
    ),
    async_=Variant(
        "In a process pool",
        cpu_work_process.main,
        Where.PRIVATE_LOOP,
        tracing=False,
        why=(
            "Each process has its own GIL, so with two free cores the jobs ran side by "
            "side; starting the workers costs time of its own."
        ),
    ),
)
