"""Current temperatures for several cities: requests one by one, aiohttp all at once."""

import asyncio

import aiohttp
import requests

from demos.base import Demo, Variant, Where
from demos.http import request_timeout, shared_session, weather_url
from demos.params import CityListParam
from demos.reporting import print, task


@task
def show_temperature(session: requests.Session, city: str) -> None:
    response = session.get(weather_url(city), timeout=request_timeout())
    response.raise_for_status()
    temperature = response.json()["current_condition"]["tmp"]
    print(f"Temperature at {city}: {temperature} C")


def main(cities: list[str]) -> None:
    with requests.Session() as session:
        for city in cities:
            try:
                show_temperature(session, city)
            except Exception:
                continue  # the error is shown on this city's lane; go on with the next


@task
async def show_temperature_async(session: aiohttp.ClientSession, city: str) -> None:
    timeout = aiohttp.ClientTimeout(total=request_timeout())
    async with session.get(weather_url(city), timeout=timeout) as response:
        response.raise_for_status()
        data = await response.json()
    print(f"Temperature at {city}: {data['current_condition']['tmp']} C")


async def main_async(cities: list[str]) -> None:
    session = shared_session()  # one session for the whole server process
    # return_exceptions: one failing city must not cancel the others.
    await asyncio.gather(
        *(show_temperature_async(session, city) for city in cities), return_exceptions=True
    )


DEMO = Demo(
    name="weather",
    title="Weather in several cities",
    description="Asks a weather service for each city's current temperature.",
    params=(
        CityListParam(
            "cities",
            "Cities",
            default=("paris", "toulouse", "marseille"),
            min_items=1,
            max_items=10,
        ),
    ),
    sync=Variant("Run sync", main, Where.THREAD, shown=(show_temperature, main)),
    async_=Variant("Run async", main_async, Where.LOOP, shown=(show_temperature_async, main_async)),
)
