"""A traced run's records on the wire: in batches while it runs, the rest before it ends."""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

from demos.reporting import Event

# Often enough for the lanes to grow as the run goes, rarely enough that a
# busy run's records share a frame.
BATCH_SECONDS = 0.05
# A frame stays a few tens of kilobytes however many records piled up.
RECORDS_PER_MESSAGE = 500

Records = list[dict[str, Any]]


def trace_messages(run_id: str, records: Records) -> Iterator[Event]:
    for start in range(0, len(records), RECORDS_PER_MESSAGE):
        yield {
            "type": "trace",
            "id": run_id,
            "records": records[start : start + RECORDS_PER_MESSAGE],
        }


def send_records(run_id: str, drain: Callable[[], Records], send: Callable[[Event], None]) -> None:
    for message in trace_messages(run_id, drain()):
        send(message)


async def stream_records(
    run_id: str, drain: Callable[[], Records], send: Callable[[Event], None]
) -> None:
    """Send what the tracer recorded every ``BATCH_SECONDS`` until cancelled."""
    while True:
        await asyncio.sleep(BATCH_SECONDS)
        send_records(run_id, drain, send)
