"""Every demo a lesson can embed, by name."""

from demos import (
    blocking,
    future,
    one_fails,
    order,
    queues,
    semaphore,
    several_fail,
    sleep,
    streams,
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
        streams.DEMO,
    )
}


def get_demo(name: str) -> Demo | None:
    return DEMOS.get(name)
