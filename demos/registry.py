"""Every demo a lesson can embed, by name."""

from demos import (
    background,
    blocking,
    cpu_work,
    debug_mode,
    future,
    one_fails,
    order,
    pages,
    queues,
    semaphore,
    several_fail,
    sleep,
    streaming,
    streams,
    testing,
    timeouts,
    weather,
)
from demos.base import Demo

DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        sleep.DEMO,
        weather.DEMO,
        blocking.DEMO,
        order.DEMO,
        future.DEMO,
        one_fails.DEMO,
        several_fail.DEMO,
        timeouts.DEMO,
        queues.DEMO,
        semaphore.DEMO,
        streaming.DEMO,
        background.DEMO,
        pages.DEMO,
        testing.DEMO,
        debug_mode.DEMO,
        cpu_work.DEMO,
        streams.DEMO,
    )
}


def get_demo(name: str) -> Demo | None:
    return DEMOS.get(name)
