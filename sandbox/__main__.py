"""``python -m sandbox``: a runner process, fed readers' runs through Redis.

It reads only what it needs from the environment: ``REDIS_URL`` (the channel
layer the site uses), ``WEATHER_API_URL`` (where the weather simulator
answers), ``DEMO_SANDBOXES`` (runs at once) and the ``SANDBOX_*`` limits. It
needs no database, no secret key and no Django settings, so a runner host
holds nothing of the site's worth stealing.
"""

import asyncio
import logging
import os
import signal
import sys

from sandbox.launcher import Launcher, SandboxUnavailable
from sandbox.limits import limits_from
from sandbox.runner import RUNS_CHANNEL, Runner

logger = logging.getLogger("sandbox")


def _int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"{name} must be a whole number, got {raw!r}")
    if not minimum <= value <= maximum:
        sys.exit(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        sys.exit(f"{name} must be a number, got {raw!r}")
    if not minimum <= value <= maximum:
        sys.exit(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


async def serve() -> None:
    from channels_redis.core import RedisChannelLayer

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        sys.exit("REDIS_URL must name the Redis the site's channel layer uses")
    capacity = _int("DEMO_SANDBOXES", 4, minimum=1, maximum=256)
    try:
        launcher = Launcher(
            limits=limits_from(_int, _float),
            weather_url=os.environ.get("WEATHER_API_URL", "http://127.0.0.1:8001/services/json/"),
        )
    except SandboxUnavailable as error:
        sys.exit(f"cannot run sandboxes here: {error}")
    await launcher.start()
    layer = RedisChannelLayer(hosts=[redis_url])
    runner = Runner(layer, launcher, capacity=capacity, channel=RUNS_CHANNEL)
    serving = asyncio.create_task(runner.serve())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, serving.cancel)
    logger.info("sandbox runner: %d at once, taking runs from %s", capacity, RUNS_CHANNEL)
    try:
        await serving
    except asyncio.CancelledError:
        pass
    finally:
        await launcher.close()
    logger.info("sandbox runner stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve())


if __name__ == "__main__":
    main()
