import asyncio
import os
import secrets
from urllib.parse import quote, urljoin

import aiohttp

CITIES = ("paris", "lyon", "marseille", "toulouse", "lille", "nantes", "strasbourg")
CITIES += ("bordeaux", "zurich", "montreal", "bruxelles", "geneve", "nice", "lausanne")
REQUESTS = 12
LIMIT = 3  # the most requests in flight at once
WEATHER_API_URL = os.environ.get("WEATHER_API_URL", "http://127.0.0.1:8001/services/json/")
TIMEOUT = 3.0  # seconds to wait for each answer


def weather_url(city: str) -> str:
    return WEATHER_API_URL.rstrip("/") + "/" + quote(city, safe="")


async def get_temperature(session: aiohttp.ClientSession, city: str) -> int:
    async with session.get(weather_url(city)) as response:
        response.raise_for_status()
        data = await response.json()
    return data["current_condition"]["tmp"]


async def show_temperature(
    session: aiohttp.ClientSession, semaphore: asyncio.Semaphore, number: int, city: str
) -> None:
    async with semaphore:  # at most `limit` tasks are past this line at once
        temperature = await get_temperature(session, city)
    print(f"request {number}: {city} is at {temperature} C")


async def ask_the_service(session: aiohttp.ClientSession, run: str) -> None:
    # The service counted this run's requests, known by the X-Run header.
    async with session.get(urljoin(WEATHER_API_URL, f"/runs/{run}")) as response:
        response.raise_for_status()
        seen = await response.json()
    print(f"the service saw at most {seen['most_at_once']} requests at once")


async def main(requests: int = REQUESTS, limit: int = LIMIT) -> None:
    run = secrets.token_hex(8)  # names this run's requests to the service
    semaphore = asyncio.Semaphore(limit)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout, headers={"X-Run": run}) as session:
        # Every task starts at once, but only `limit` of them are past the semaphore.
        await asyncio.gather(
            *(
                show_temperature(session, semaphore, number, CITIES[(number - 1) % len(CITIES)])
                for number in range(1, requests + 1)
            ),
            return_exceptions=True,
        )
        await ask_the_service(session, run)


if __name__ == "__main__":
    asyncio.run(main())
