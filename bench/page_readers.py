"""Page readers in a process of their own, for a scenario that also drives websockets.

A page's latency is timed by the process that asks for it. If that process
also read fifty sockets' worth of demo events, a page answered while it was
busy decoding them would be charged for the client's own work, which no real
reader, on a machine of their own, ever pays. So the isolation scenario asks
for its pages from here: ``python -m bench.page_readers PORT PATH RATE SECONDS
CONNECTIONS`` starts, prints ``ready``, waits for a line on stdin, loads the
page at the steady rate (``bench.http_load.paced``) and prints the result as
JSON.
"""

import asyncio
import json
import sys
from dataclasses import dataclass

from bench.http_load import paced
from bench.server import HOST, ROOT


@dataclass
class PageLoad:
    requests: int
    errors: int
    latencies: list[float]


class PageReaders:
    """The child process: ``ready`` once started, ``go`` to load, ``result`` to read it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(
        cls, port: int, path: str, *, rate: float, seconds: float, connections: int
    ) -> "PageReaders":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.page_readers",
            str(port),
            path,
            str(rate),
            str(seconds),
            str(connections),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if line.strip() != b"ready":
            process.kill()
            raise RuntimeError(f"page readers did not start: {line!r}")
        return cls(process)

    def go(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(b"go\n")

    def stop(self) -> None:
        """Kill the child if it is still there (a window that failed half-way)."""
        if self._process.returncode is None:
            self._process.kill()

    async def result(self) -> PageLoad:
        out, _ = await asyncio.wait_for(self._process.communicate(), 60)
        if self._process.returncode != 0:
            raise RuntimeError(f"page readers exited with code {self._process.returncode}")
        data = json.loads(out)
        return PageLoad(data["requests"], data["errors"], data["latencies"])


async def _main(port: int, path: str, rate: float, seconds: float, connections: int) -> None:
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    load = await paced(HOST, port, path, rate=rate, duration=seconds, connections=connections)
    json.dump(
        {"requests": load.requests, "errors": load.errors, "latencies": load.latencies},
        sys.stdout,
    )


if __name__ == "__main__":
    port, path, rate, seconds, connections = sys.argv[1:6]
    asyncio.run(_main(int(port), path, float(rate), float(seconds), int(connections)))
