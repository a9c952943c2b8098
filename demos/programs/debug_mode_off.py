import asyncio
import gc
import logging
import os
import threading
import time
import traceback
import warnings

BLOCK = 0.3  # seconds the callback blocks the loop


def show(report: str) -> None:
    """Print a report's first line and, if it has one, its last line about this file."""
    here = show.__code__.co_filename  # this file, as Python's reports name it
    name = os.path.basename(here)
    first, *rest = report.splitlines()
    print(first.replace(here, name))
    ours = [line for line in rest if here in line]
    if ours:
        print("    " + ours[-1].strip().replace(here, name))


class PrintLog(logging.Handler):
    """Print the asyncio log records of the thread that made this handler."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            show(record.getMessage())


def print_error(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """The loop's exception handler: print the message, and where the task was made."""
    made_at = traceback.format_list(context.get("source_traceback", []))
    show(f"{context['message']}: {context.get('exception')!r}\n" + "".join(made_at))


def write_report(seconds: float) -> None:
    time.sleep(seconds)  # blocking work: the loop can do nothing else meanwhile


async def save(order: str) -> None:
    await asyncio.sleep(0.01)
    print(f"save: {order} saved")


async def send_receipt(order: str) -> None:
    await asyncio.sleep(0.01)
    raise ConnectionError("the mail server is down")


async def main(block: float = BLOCK) -> None:
    loop = asyncio.get_running_loop()
    # asyncio reports trouble to the loop's exception handler, to the "asyncio"
    # logger and as warnings: this program prints all three (show).
    loop.set_exception_handler(print_error)
    log = PrintLog()
    logging.getLogger("asyncio").addHandler(log)
    try:
        # Bug 1: a callback that blocks the loop.
        loop.call_soon(write_report, block)
        await asyncio.sleep(0.05)

        # Bug 2: a coroutine called but never awaited.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            save("order 42")  # the bug: no await
        for w in caught:
            show(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))

        # Bug 3: a task that fails, and nobody ever asks for its result.
        asyncio.create_task(send_receipt("order 42"))  # noqa: RUF006
        await asyncio.sleep(0.05)
        gc.collect()  # whatever is unreachable is freed now
        print("main: done")
    finally:
        logging.getLogger("asyncio").removeHandler(log)


if __name__ == "__main__":
    asyncio.run(main())
