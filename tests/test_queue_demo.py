"""A producer and two workers around a queue: unbounded it fills at once, maxsize holds it back."""

import re
from collections import Counter

import pytest

from tests.demo_runs import ends, lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

# Six jobs of 0.1 s for two workers: three rounds, about 0.3 s, whatever the bound.
PARAMS = {"jobs": 6, "workers": 2, "seconds": 0.1, "maxsize": 2}
STATE = re.compile(r" \(queue holds (\d+)\)$")


async def run(mode: str, params: dict) -> tuple[dict, list[dict]]:
    return await run_demo("queue", mode, params)


def held(line: str) -> int | None:
    """What the queue held, as a line says, or None if it does not say."""
    match = STATE.search(line)
    return int(match.group(1)) if match else None


def the_work(printed: list[str]) -> Counter:
    """The workers' lines without the queue's state, which depends on which of two
    workers that finish together takes a job first."""
    return Counter(STATE.sub("", line) for line in printed if line.startswith("worker"))


def expected_work(jobs: int) -> Counter:
    took = Counter(
        f"worker {n}: {what} job {job}"
        for job in range(1, jobs + 1)
        for n, what in [((job - 1) % 2, "took"), ((job - 1) % 2, "finished")]
    )
    return took + Counter({"worker 0: stopping": 1, "worker 1: stopping": 1})


async def test_an_unbounded_queue_takes_every_job_at_once_and_the_workers_drain_it():
    finished, events = await run("sync", PARAMS)
    printed = lines(events)

    assert finished["status"] == "ok"
    assert printed[:7] == [
        *(f"producer: put job {job} (queue holds {job})" for job in range(1, 7)),
        "producer: done, the queue held up to 6 jobs",
    ]
    assert the_work(printed) == expected_work(6)
    assert printed[-3] == "main: every job is done"
    assert not any("waiting" in line for line in printed)
    tasks = ends(events)
    assert sorted(tasks) == [0, 1, 2]  # the producer, then a lane for each worker
    assert all(task["ok"] for task in tasks.values())
    assert tasks[0]["t"] < 0.05  # the producer never waited
    assert all(0.29 <= tasks[n]["t"] < 0.45 for n in (1, 2))
    assert 0.29 <= finished["elapsed"] < 0.45


async def test_a_bounded_queue_makes_the_producer_wait_and_never_holds_more_than_maxsize():
    finished, events = await run("async", PARAMS)
    printed = lines(events)

    assert finished["status"] == "ok"
    assert printed[:3] == [
        "producer: put job 1 (queue holds 1)",
        "producer: put job 2 (queue holds 2)",
        "producer: queue full, waiting to put job 3",
    ]
    assert "producer: done, the queue held up to 2 jobs" in printed
    puts = [line for line in printed if line.startswith("producer: put")]
    assert [line.split()[3] for line in puts] == [str(job) for job in range(1, 7)]
    assert max(held(line) for line in printed if held(line) is not None) == 2
    assert the_work(printed) == expected_work(6)
    assert printed[-3] == "main: every job is done"
    tasks = ends(events)
    assert sorted(tasks) == [0, 1, 2]
    assert all(task["ok"] for task in tasks.values())
    assert 0.09 <= tasks[0]["t"] < 0.2  # it put the last jobs once the first round ended
    assert 0.29 <= finished["elapsed"] < 0.45


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_one_worker_takes_the_jobs_one_after_another(mode):
    finished, events = await run(mode, {**PARAMS, "jobs": 4, "workers": 1})

    assert finished["status"] == "ok"
    took = [line for line in lines(events) if line.startswith("worker 0: took")]
    assert [STATE.sub("", line) for line in took] == [
        f"worker 0: took job {j}" for j in range(1, 5)
    ]
    assert 0.39 <= finished["elapsed"] < 0.55
