"""One request with aiohttp."""

import aiohttp


async def main(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()
