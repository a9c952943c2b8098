"""Lines a reader may put in order before a run: each variant's are what a real run prints first."""

import pytest

from demos.catalog import catalog
from demos.registry import DEMOS
from tests.demo_runs import lines, run_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

PREDICTABLE = sorted(
    (name, mode)
    for name, demo in DEMOS.items()
    for mode in ("sync", "async")
    if demo.variant(mode).first_lines
)


def test_the_demos_whose_order_teaches_offer_a_prediction():
    assert {name for name, _ in PREDICTABLE} >= {"order", "one_fails", "several_fail", "timeouts"}


@pytest.mark.parametrize(("name", "mode"), PREDICTABLE)
async def test_the_lines_to_predict_are_the_first_lines_a_run_prints(name, mode):
    expected = list(DEMOS[name].variant(mode).first_lines)
    assert len(expected) >= 3
    assert len(set(expected)) == len(expected), "lines a reader cannot tell apart"

    finished, events = await run_demo(name, mode)

    assert finished["type"] == "finished"
    assert lines(events)[: len(expected)] == expected


def test_the_catalog_gives_the_lines_to_the_page():
    modes = catalog()["demos"]["order"]["modes"]
    assert modes["async"]["first_lines"][0] == "main: created the task"
    assert catalog()["demos"]["sleep"]["modes"]["sync"]["first_lines"] == []
