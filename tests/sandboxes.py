"""A sandbox runner inside the test's own process, on the site's channel layer.

The site sends readers' programs to runners through the channel layer; in a
test the runner is a task of the test's loop (the programs themselves still
run in bubblewrap sandboxes, processes of their own), against a weather
simulator the test starts. ``limits`` makes small limits for hostile programs.
"""

import asyncio
import contextlib
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestServer
from channels.layers import get_channel_layer
from django.conf import settings

from sandbox.launcher import Launcher
from sandbox.runner import Runner
from tests import services
from weathersim.app import make_app


@contextlib.asynccontextmanager
async def running_runner(weather_url: str, limits=None, capacity: int = 4):
    launcher = Launcher(limits=limits or settings.SANDBOX_LIMITS, weather_url=weather_url)
    await launcher.start()
    runner = Runner(get_channel_layer(), launcher, capacity=capacity)
    serving = asyncio.create_task(runner.serve())
    try:
        yield launcher
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await launcher.close()


@pytest.fixture
async def weather_simulator(settings):
    server = TestServer(make_app(latency_scale=0.05))
    await server.start_server()
    settings.WEATHER_API_URL = str(server.make_url("/services/json/"))
    yield settings.WEATHER_API_URL
    await server.close()


@pytest.fixture
async def sandbox_runner(weather_simulator):
    services.bwrap_binary()
    async with running_runner(weather_simulator) as launcher:
        yield launcher


def small(limits, **changes):
    return replace(limits, **changes)
