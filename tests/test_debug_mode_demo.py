"""Three bugs, without and with debug mode: what asyncio reports, as the program prints it."""

import logging
import re
import warnings
from pathlib import Path

import pytest

from tests.demo_runs import ends, lines, run_demo
from tests.test_sandboxed_runs import listing, run_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

NEVER_AWAITED = r"debug_mode_o(n|ff)\.py:(\d+): RuntimeWarning: coroutine 'save' was never awaited"
NEVER_RETRIEVED = "Task exception was never retrieved: ConnectionError('the mail server is down')"
PROGRAMS = Path(__file__).resolve().parent.parent / "demos" / "programs"
SOURCE = (PROGRAMS / "debug_mode_on.py").read_text(encoding="utf-8").splitlines()
OFF_SOURCE = (PROGRAMS / "debug_mode_off.py").read_text(encoding="utf-8").splitlines()


def slow(name: str) -> re.Pattern[str]:
    """The debug mode's line for the callback that blocks, in the file ``name``."""
    file = re.escape(name)
    return re.compile(
        rf"Executing <Handle write_report\(0\.3\) at {file}:\d+ "
        rf"created at {file}:\d+> took 0\.3\d\d seconds"
    )


@pytest.mark.parametrize("trace", [False, True])
async def test_without_debug_mode_asyncio_says_what_but_not_where(trace):
    finished, events = await run_demo("debug_mode", "sync", trace=trace)
    assert finished["status"] == "failed"  # send_receipt fails, on purpose
    # No word of the blocked loop, and the lost error names no line of the program.
    never_awaited, never_retrieved, done = lines(events)
    # The warning says where the coroutine was dropped: the line that made it.
    line = int(re.fullmatch(NEVER_AWAITED, never_awaited).group(2))
    assert OFF_SOURCE[line - 1].strip().startswith('save("order 42")')
    assert (never_retrieved, done) == (NEVER_RETRIEVED, "main: done")
    (receipt,) = ends(events).values()
    assert receipt["error"] == "ConnectionError: the mail server is down"
    assert 0.3 <= finished["elapsed"] < 1.0


@pytest.mark.parametrize("trace", [False, True])
async def test_with_debug_mode_asyncio_says_where(trace):
    finished, events = await run_demo("debug_mode", "async", trace=trace)
    assert finished["status"] == "failed"
    printed = lines(events)
    assert len(printed) == 6, printed
    assert slow("debug_mode_on.py").fullmatch(printed[0]), printed[0]
    assert re.fullmatch(NEVER_AWAITED, printed[1])
    assert re.fullmatch(r'    File "debug_mode_on\.py", line \d+, in main', printed[2])
    assert printed[3] == NEVER_RETRIEVED
    assert re.fullmatch(r'    File "debug_mode_on\.py", line \d+, in main', printed[4])
    assert printed[5] == "main: done"
    # The lines named are the program's buggy lines.
    numbers = [int(re.search(r"line (\d+)", printed[i]).group(1)) for i in (2, 4)]
    assert SOURCE[numbers[0] - 1].strip().startswith('save("order 42")')
    assert (
        SOURCE[numbers[1] - 1].strip().startswith('asyncio.create_task(send_receipt("order 42"))')
    )
    created = int(re.search(r"created at debug_mode_on\.py:(\d+)", printed[0]).group(1))
    assert SOURCE[created - 1].strip() == "loop.call_soon(write_report, block)"
    assert 0.3 <= finished["elapsed"] < 1.0


async def test_a_short_block_stays_under_the_threshold():
    _, events = await run_demo("debug_mode", "async", {"block": 0.05})
    assert not any(line.startswith("Executing") for line in lines(events))
    assert re.fullmatch(NEVER_AWAITED, lines(events)[0])


async def test_the_run_leaves_the_warnings_filters_and_the_asyncio_logger_as_they_were():

    filters, handlers = list(warnings.filters), list(logging.getLogger("asyncio").handlers)
    await run_demo("debug_mode", "async", {"block": 0.05})
    assert warnings.filters == filters
    assert logging.getLogger("asyncio").handlers == handlers


@pytest.mark.usefixtures("sandbox_runner")
@pytest.mark.parametrize("trace", [False, True])
async def test_a_reader_s_run_in_the_sandbox_prints_the_same_reports(trace):
    mode = "async"
    events = await run_code(listing("debug_mode", mode), demo="debug_mode", mode=mode, trace=trace)
    printed = [event["text"] for event in events if event["type"] == "output"]
    assert events[-1]["status"] == "failed"
    # The sandbox names the reader's file main.py.
    assert slow("main.py").fullmatch(printed[0]), printed[0]
    assert re.fullmatch(
        r"main\.py:\d+: RuntimeWarning: coroutine 'save' was never awaited", printed[1]
    )
    assert printed[3] == NEVER_RETRIEVED
    assert re.fullmatch(r'    File "main\.py", line \d+, in main', printed[4])
    assert printed[5] == "main: done"
