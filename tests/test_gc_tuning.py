"""Loading the site tunes the garbage collector for a process full of readers."""

import gc

from tutorialsite import gc_tuning


def test_loading_the_site_freezes_what_exists_and_spaces_full_collections():
    import tutorialsite.asgi  # noqa: F401  (what daphne loads)

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == gc_tuning.FULL_COLLECTION_EVERY


def test_young_objects_are_still_collected():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector can free it
    del a, b

    assert gc.collect(0) + gc.collect(1) >= 2
