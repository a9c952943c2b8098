import asyncio
import threading
import unittest
import warnings

STOCK = {"tea": 3}


async def in_stock(item: str, quantity: int) -> bool:
    """Whether the shop has `quantity` of `item` on its shelves."""
    await asyncio.sleep(0.01)  # stands in for a database query
    return STOCK.get(item, 0) > quantity  # the bug: > should be >=


class InStockTest(unittest.IsolatedAsyncioTestCase):
    async def test_the_last_three_can_be_sold(self):
        # Each test runs on a fresh event loop; await runs in_stock to its end.
        self.assertTrue(await in_stock("tea", 3), "3 teas are on the shelf")


class Report(unittest.TestResult):
    """Prints each test's outcome as it comes in, like `python -m unittest -v`."""

    def addSuccess(self, test):
        super().addSuccess(test)
        print(f"{test.id().split('.')[-1]} ... ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print(f"{test.id().split('.')[-1]} ... FAIL: {err[0].__name__}: {err[1]}")

    def addError(self, test, err):
        super().addError(test, err)
        print(f"{test.id().split('.')[-1]} ... ERROR: {err[0].__name__}: {err[1]}")


def show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{category.__name__}: {message}")


# The warnings settings belong to the whole process: one run at a time changes them.
warnings_settings = threading.Lock()


def run_tests(case: type[unittest.TestCase]) -> None:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = Report()
    with warnings_settings, warnings.catch_warnings():
        warnings.simplefilter("always")  # show every warning, as it happens
        warnings.showwarning = show_warning
        suite.run(result)
    print(f"Ran {result.testsRun} test(s):", "OK" if result.wasSuccessful() else "FAILED")


def main() -> None:
    run_tests(InStockTest)


if __name__ == "__main__":
    main()
