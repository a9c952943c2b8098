"""The catalog the widget reads: bounds from the registry, source from the running code."""

import inspect

import pytest

from demos.catalog import catalog
from demos.registry import DEMOS


def test_it_lists_every_registered_demo():
    assert set(catalog()["demos"]) == {
        "sleep",
        "weather",
        "blocking",
        "order",
        "future",
        "one_fails",
        "several_fail",
        "queue",
        "timeouts",
        "semaphore",
        "streaming",
        "background",
        "pages",
        "testing",
        "debug_mode",
        "cpu_work",
        "streams",
    }


@pytest.mark.parametrize("name", sorted(DEMOS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_source_shown_is_the_source_that_runs(name, mode):
    variant = DEMOS[name].variant(mode)
    shown = catalog()["demos"][name]["modes"][mode]["source"]
    # The file the entry point the runner calls is written in, whole.
    assert shown == inspect.getsource(inspect.getmodule(variant.main))
    assert inspect.getsource(variant.main) in shown


def test_the_sync_sleep_source_uses_time_sleep_and_the_async_one_asyncio_sleep():
    modes = catalog()["demos"]["sleep"]["modes"]
    assert "time.sleep(seconds)" in modes["sync"]["source"]
    assert "asyncio.sleep" not in modes["sync"]["source"]
    assert "await asyncio.sleep(seconds)" in modes["async"]["source"]
    assert "asyncio.gather" in modes["async"]["source"]


def test_only_the_variants_with_an_event_loop_are_traceable():
    traceable = {
        (name, mode)
        for name, demo in catalog()["demos"].items()
        for mode, variant in demo["modes"].items()
        if variant["traceable"]
    }
    assert traceable == {
        ("sleep", "async"), ("weather", "async"), ("blocking", "sync"), ("blocking", "async"),
        ("order", "sync"), ("order", "async"), ("future", "sync"), ("future", "async"),
        ("one_fails", "sync"), ("one_fails", "async"), ("queue", "sync"), ("queue", "async"),
        ("several_fail", "sync"), ("several_fail", "async"),
        ("timeouts", "sync"), ("timeouts", "async"),
        ("semaphore", "sync"), ("semaphore", "async"),
        ("streaming", "sync"), ("streaming", "async"),
        ("background", "sync"), ("background", "async"),
        ("pages", "sync"), ("pages", "async"),
        ("debug_mode", "sync"), ("debug_mode", "async"),
        ("streams", "sync"), ("streams", "async"),
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(DEMOS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_variant_says_in_a_sentence_why_its_total_is_what_it_is(name, mode):
    why = catalog()["demos"][name]["modes"][mode]["why"]
    # A sentence, starting with a capital or with the name of what it is about.
    assert why[:1].isupper() or why.split(maxsplit=1)[0] in {
        "asyncio.sleep",
        "gather",
        "main",
        "time.sleep",
    }
    assert why.endswith(".")
    assert 40 <= len(why) <= 200


def test_the_source_is_highlighted_for_the_page():
    html = catalog()["demos"]["sleep"]["modes"]["async"]["source_html"]
    assert '<span class="k">await</span>' in html


def test_params_carry_their_bounds_and_defaults():
    params = {p["name"]: p for p in catalog()["demos"]["sleep"]["params"]}
    assert params["tasks"] == {
        "name": "tasks",
        "type": "int",
        "label": "Tasks",
        "default": 3,
        "min": 1,
        "max": 10,
        "step": 1,
    }
    assert params["seconds"]["min"] == 0.05
    assert params["seconds"]["max"] == 5.0
    assert params["seconds"]["default"] == 2.0
    cities = catalog()["demos"]["weather"]["params"][0]
    assert cities["default"] == ["paris", "toulouse", "marseille"]
    assert (cities["min"], cities["max"]) == (1, 10)


def test_the_catalog_is_served_as_json(client):
    response = client.get("/demos/catalog.json")
    assert response.status_code == 200
    assert response.json() == catalog()
