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
    # Before handing out a page, start fetching the next one in a task of its own.
    url = urljoin(WEATHER_API_URL, f"/cities?page=1&per_page={per_page}")
    fetching = asyncio.create_task(fetch_page(session, url))
    try:
        while fetching is not None:
            page = await fetching
            fetching = None
            if page["next"] is not None:
                url = urljoin(url, page["next"])
                fetching = asyncio.create_task(fetch_page(session, url))
            yield page  # the next page is on its way while the loop works on this one
    finally:
        # Left early (a break, an error, a cancel): stop the fetch nobody will read.
        if fetching is not None:
            fetching.cancel()
            await asyncio.wait([fetching])


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
            await process(page, work)


if __name__ == "__main__":
    asyncio.run(main())
