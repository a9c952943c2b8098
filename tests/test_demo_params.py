"""Demo parameters: a value that breaks the rules is named in the message, briefly and cheaply."""

import tracemalloc

import pytest

from demos.params import CityListParam, IntParam, ParamError, clean_params

CITIES = CityListParam(name="cities", label="Cities", default=("paris",), min_items=1, max_items=10)
TASKS = IntParam(name="tasks", label="Tasks", default=3, minimum=1, maximum=10)


def shared_nest(levels: int, container=list):
    """Nine references to the level below, ``levels`` deep: a few small objects that
    stringify to 9**(levels + 1) strings, the shape a YAML alias bomb builds."""
    value = container(["lol"] * 9)
    for _ in range(levels):
        value = container([value] * 9)
    return value


def refused_message(clean, value) -> tuple[str, int]:
    """The ParamError message for ``value``, and the peak memory traced while making it."""
    tracemalloc.start()
    try:
        with pytest.raises(ParamError) as caught:
            clean(value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return str(caught.value), peak


def test_a_city_that_is_a_huge_nested_list_is_refused_without_stringifying_it():
    # str() of it is 4.8 million strings, about 40 MB; its description is a few words.
    message, peak = refused_message(CITIES.clean, ["paris", shared_nest(6)])

    assert message.startswith("cities: each city must be 1 to 40 letters, digits or hyphens, got [")
    assert len(message) < 200
    assert peak < 1_000_000


def test_an_unknown_parameter_named_by_a_huge_nested_key_is_refused_without_stringifying_it():
    message, peak = refused_message(
        lambda given: clean_params((TASKS,), given), {shared_nest(6, tuple): 1}
    )

    assert message.startswith("unknown parameter ((")
    assert message.endswith("this demo takes tasks")
    assert len(message) < 200
    assert peak < 1_000_000


@pytest.mark.parametrize(
    "clean",
    [CITIES.clean, lambda value: clean_params((TASKS,), {value[0]: 1})],
    ids=["city", "parameter name"],
)
def test_a_number_too_long_to_write_out_is_named_as_a_huge_number(clean):
    # str() of an int past 4,300 digits raises ValueError: the message itself would crash.
    message, _ = refused_message(clean, [10**5000])

    assert "a huge number" in message


@pytest.mark.parametrize(
    ("city", "shown"),
    [
        ("x" * 5000, "'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx'"),
        ("a b", "'a b'"),
        ("paris\x1b[2J", "'paris\\x1b[2J'"),
        (["paris"], "['paris']"),
        ({"city": "paris"}, "{'city': 'paris'}"),
    ],
)
def test_a_bad_city_is_shown_short_with_control_characters_escaped(city, shown):
    message, _ = refused_message(CITIES.clean, [city])

    assert message.endswith(f"got {shown}")
