"""Garbage collection tuned for one process holding many readers.

Reference counting frees almost every object the moment it is dropped; the
cyclic collector only looks for reference cycles. But each full collection
walks every object of the process, and with a thousand readers connected that
is a few hundred thousand objects: a pause of a tenth of a second or more,
felt by every reader at once, and Python starts one whenever a burst of runs
has promoted enough new objects, which is exactly when readers are watching.

So, once the site is loaded, everything that exists then (Django, the
modules, the URL patterns) is moved out of the collector's sight for good,
and full collections come ten times less often. Young objects are still
collected as before; cycles that reach the oldest generation wait longer.
"""

import gc

# Collections of the middle generation between two full ones (Python's default is 10).
FULL_COLLECTION_EVERY = 100


def tune_for_serving() -> None:
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
