import asyncio
import os
from urllib.parse import quote

import aiohttp

CITIES = ("paris", "toulouse", "marseille")
WEATHER_API_URL = os.environ.get("WEATHER_API_URL", "http://127.0.0.1:8001/services/json/")
TIMEOUT = 3.0  # seconds to wait for each answer


def weather_url(city: str) -> str:
    return WEATHER_API_URL.rstrip("/") + "/" + quote(city, safe="")


async def show_temperature(session: aiohttp.ClientSession, city: str) -> None:
    async with session.get(weather_url(city)) as response:
        response.raise_for_status()
        data = await response.json()
    print(f"Temperature at {city}: {data['current_condition']['tmp']} C")


async def main(cities: tuple[str, ...] = CITIES) -> None:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        # return_exceptions: one failing city must not end main, closing the
        # session, while the other cities still wait for their answers.
        await asyncio.gather(
            *(show_temperature(session, city) for city in cities), return_exceptions=True
        )


if __name__ == "__main__":
    asyncio.run(main())
