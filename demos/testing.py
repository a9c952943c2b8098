"""A test that forgets to await passes; the same test awaited fails and shows the bug."""

from demos.base import Demo, Variant, Where
from demos.programs import testing_await, testing_no_await

DEMO = Demo(
    name="testing",
    title="A test that forgets to await",
    description=(
        "in_stock says 3 teas cannot be sold when 3 are on the shelf. A unittest.TestCase "
        "calls it without await and passes; an IsolatedAsyncioTestCase awaits it and fails."
    ),
    params=(),
    # Plain functions in a pool thread: IsolatedAsyncioTestCase runs each test
    # on an event loop of its own, which cannot start inside a running loop.
    sync=Variant(
        "Without await (TestCase)",
        testing_no_await.main,
        Where.THREAD,
        alone=True,
        why=(
            "Calling the coroutine function only made a coroutine object, which counts as "
            "true, so the assertion passed at once without running the check."
        ),
    ),
    async_=Variant(
        "With await (IsolatedAsyncioTestCase)",
        testing_await.main,
        Where.THREAD,
        alone=True,
        why=(
            "The test ran the check on an event loop of its own, and the assertion saw its real "
            "answer."
        ),
    ),
)
