"""channels-redis's RedisChannelLayer, made to live through a Redis restart.

Stock, a lost connection to Redis raises out of ``receive()``, and channels
then ends the websocket whose consumer was receiving: one Redis restart would
close every reader's socket on every process, and a Redis that is down would
refuse every new one. Here ``receive()`` waits for Redis to come back instead.

A Redis restarted without persistence has also forgotten every group. So the
layer remembers which groups this process's channels are in, and after an
outage joins them again, once, before receiving goes on.
"""

import asyncio
import logging
from collections import defaultdict

from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a Redis that is down or restarting raises, through redis.asyncio.
LAYER_ERRORS = (RedisError, OSError)
FIRST_RETRY_SECONDS = 0.2
MAX_RETRY_SECONDS = 5.0


class ResilientRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._memberships: defaultdict[str, set[str]] = defaultdict(set)  # channel -> groups
        self._must_rejoin = False

    async def group_add(self, group: str, channel: str) -> None:
        # Remembered first: if Redis is down now, the channel joins when it is back.
        self._memberships[channel].add(group)
        try:
            await super().group_add(group, channel)
        except LAYER_ERRORS:
            self._must_rejoin = True
            raise

    async def group_discard(self, group: str, channel: str) -> None:
        groups = self._memberships.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self._memberships[channel]
        await super().group_discard(group, channel)

    async def receive(self, channel: str) -> dict:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                if self._must_rejoin:
                    await self._rejoin()
                return await super().receive(channel)
            except LAYER_ERRORS as error:
                if not self._must_rejoin:  # once per outage, not once per socket
                    logger.warning("lost Redis (%s); waiting for it to come back", error)
                self._must_rejoin = True
            await asyncio.sleep(delay)
            delay = min(MAX_RETRY_SECONDS, delay * 2)

    async def _rejoin(self) -> None:
        # Every receiving consumer comes here after an outage; the first one does
        # the work (claimed before any await, so no other starts it too).
        self._must_rejoin = False
        memberships = [(g, c) for c, groups in self._memberships.items() for g in groups]
        try:
            for group, channel in memberships:
                await super().group_add(group, channel)
        except BaseException:
            self._must_rejoin = True
            raise
        if memberships:
            logger.info("Redis is back: joined %d groups again", len(memberships))
