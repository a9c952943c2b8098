"""A heartbeat on the server's event loop: how late does a 10 ms sleep wake up?

Lag is the time a ready callback waits for the loop, so it is what every
reader of the process feels when something holds the loop. Recording starts
and stops over HTTP (``/bench/heartbeat/start`` and ``.../stop``), so the
load generator can bracket exactly the load it applies.
"""

import asyncio
import json
import time
from collections import deque
from typing import Any

from bench.replies import send_json

INTERVAL = 0.010
MAX_SAMPLES = 200_000  # over half an hour of beats: bounded whatever happens


class Heartbeat:
    def __init__(self) -> None:
        self.lags: deque[float] = deque(maxlen=MAX_SAMPLES)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.lags.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._beat())

    def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        lags, self.lags = list(self.lags), deque(maxlen=MAX_SAMPLES)
        return lags

    async def _beat(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(INTERVAL)
            self.lags.append(time.perf_counter() - before - INTERVAL)


HEARTBEAT = Heartbeat()


async def heartbeat_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    action = scope["path"].rstrip("/").rsplit("/", 1)[-1]
    if action == "start":
        HEARTBEAT.start()
        body: dict[str, Any] = {"started": True}
    elif action == "stop":
        body = {"lags": [round(lag, 6) for lag in HEARTBEAT.stop()]}
    else:
        body = {"error": "use /bench/heartbeat/start or /bench/heartbeat/stop"}
    await send_json(send, body, 200 if "error" not in body else 404)


async def _beat_alone(seconds: float) -> list[float]:
    beat = Heartbeat()
    beat.start()
    await asyncio.sleep(seconds)
    return beat.stop()


if __name__ == "__main__":
    # The same heartbeat in a process of its own, doing nothing else: how late
    # the machine itself wakes a sleeper (other work, scheduling), to read the
    # server's lag against. Usage: python -m bench.heartbeat SECONDS
    import sys

    lags = asyncio.run(_beat_alone(float(sys.argv[1])))
    print(json.dumps({"lags": [round(lag, 6) for lag in lags]}))
