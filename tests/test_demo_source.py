"""The listing a reader sees, and where each line of it comes from."""

import inspect

import pytest

from demos.registry import DEMOS
from demos.source import listing_lines, source_of

VARIANTS = [
    pytest.param(variant, id=f"{demo.name}-{mode}")
    for demo in DEMOS.values()
    for mode, variant in (("sync", demo.sync), ("async", demo.async_))
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_listing_line_maps_back_to_the_same_line_of_its_file(variant):
    listing = source_of(variant.shown).splitlines()
    file_lines = inspect.getsource(inspect.getmodule(variant.main)).splitlines()
    where = listing_lines(variant.shown)
    shown_lines = {number for number, text in enumerate(listing, start=1) if text.strip()}
    assert shown_lines <= set(where.values()), "every written line of the listing is mapped"
    for file_line, listing_line in where.items():
        assert listing[listing_line - 1].strip() == file_lines[file_line - 1].strip()


def test_lines_outside_the_shown_functions_are_not_in_the_listing():
    from demos import blocking

    where = listing_lines(blocking.DEMO.sync.shown)
    first_line_of_demo_declaration = inspect.getsourcelines(blocking)[0].index("DEMO = Demo(\n") + 1
    assert first_line_of_demo_declaration not in where
