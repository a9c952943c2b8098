"""Walking a paginated listing with async for: page after page, then with the next page
fetched in a task while the current one is processed."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import pages_prefetch, pages_sequential

DEMO = Demo(
    name="pages",
    title="Paging through a listing with async for",
    description=(
        "An async generator fetches a listing of cities from a weather service, one page "
        "at a time, and an async for loop spends a while on each page. First the next "
        "page is only asked for once the current one is done; then the generator starts "
        "fetching the next page in a task before handing out the current one."
    ),
    params=(
        IntParam("per_page", "Cities per page", default=3, minimum=2, maximum=14),
        FloatParam("work", "Work per page (seconds)", default=0.5, minimum=0, maximum=1),
    ),
    # On a private loop: the prefetching generator leaves a task behind whenever it is
    # not run to its end, which must die with its loop if a run is cancelled.
    sync=Variant(
        "Fetch, then process",
        pages_sequential.main,
        Where.PRIVATE_LOOP,
        why=(
            "Each page was fetched only after the work on the one before was done, so the "
            "fetching and the work added up."
        ),
    ),
    async_=Variant(
        "Prefetch the next page",
        pages_prefetch.main,
        Where.PRIVATE_LOOP,
        why=(
            "The next page was fetched while the current one was worked on, so the waits "
            "overlapped and mostly the work counted."
        ),
    ),
)
