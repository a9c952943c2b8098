import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import aclosing
from urllib.parse import urljoin

import aiohttp

PER_PAGE = 3  # cities on each page
WORK = 0.5  # seconds spent on each page once it has arrived
WEATHER_API_URL = os.environ.get("WEATHER_API_URL", "http://127.0.0.1:8001/services/json/")
TIMEOUT = 3.0  # seconds to wait for each answer


async def fetch_page(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as response:
        response.raise_for_status()
        page = await response.json()
    print(f"page {page['page']} of {page['pages']} arrived")
    return page


async def city_pages(session: aiohttp.ClientSession, per_page: int) -> AsyncIterator[dict]:
    # An async generator: it awaits each page, then hands it to the async for.
    url = urljoin(WEATHER_API_URL, f"/cities?page=1&per_page={per_page}")
    while True:
        page = await fetch_page(session, url)
        yield page  # paused here until the loop asks for the next page
        if page["next"] is None:
            return
        url = urljoin(url, page["next"])


async def process(page: dict, work: float) -> None:
    await asyncio.sleep(work)  # stands for storing the page somewhere slow to answer
    temperatures = ", ".join(f"{city['name']} {city['tmp']} C" for city in page["cities"])
    print(f"page {page['page']} processed: {temperatures}")


async def main(per_page: int = PER_PAGE, work: float = WORK) -> None:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        aclosing(city_pages(session, per_page)) as pages,  # closed on the way out
    ):
        async for page in pages:
            await process(page, work)  # the next page is not asked for meanwhile


if __name__ == "__main__":
    asyncio.run(main())
