"""Channels' consumer methods without their database connection check.

Channels closes the sync thread's stale database connections
(``aclose_old_connections``) before every message a consumer handles and after
it disconnects: a hop to that thread and back each time. The demo socket reads
the database only for a ``watch``, and checks there itself; the run writer
checks once per batch. So a thousand readers who open a page, run a demo and
leave would otherwise queue three thousand hops for nothing.

The methods are Channels' own, less that one call; tests/test_connection_checks.py
fails if Channels changes them, so the copy is looked at again.
"""

from channels.consumer import get_handler_name
from channels.exceptions import InvalidChannelLayerError, StopConsumer


class WithoutConnectionChecks:
    """Mixed in before ``AsyncWebsocketConsumer``. Written as Channels writes them."""

    async def dispatch(self, message):
        """``AsyncConsumer.dispatch``, without the check before each handler."""
        handler = getattr(self, get_handler_name(message), None)
        if handler:
            await handler(message)
        else:
            raise ValueError("No handler for message type %s" % message["type"])  # noqa: UP031

    async def websocket_disconnect(self, message):
        """``AsyncWebsocketConsumer.websocket_disconnect``, without the check at the end."""
        try:
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except AttributeError:
            raise InvalidChannelLayerError(  # noqa: B904
                "BACKEND is unconfigured or doesn't support groups"
            )
        await self.disconnect(message["code"])
        raise StopConsumer()
