"""Channels' ``AuthMiddlewareStack`` for the demo socket, without a per-frame cost.

Channels' session middleware wraps ``send`` so that it can save a modified
session when an HTTP response starts. On a websocket no message ever starts an
HTTP response, yet the wrapper still reads the session's state on every frame
sent: eleven times for a three-task demo run, for nothing. Here the session
and the user are put in the scope exactly as Channels does it, and a
websocket's frames go straight out.
"""

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper
from channels.sessions import SessionMiddleware as ChannelsSessionMiddleware


class SessionMiddleware(ChannelsSessionMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        # The wrapper's send only ever acts on "http.response.start".
        return await self.inner(wrapper.scope, receive, send)


def AuthMiddlewareStack(inner: Any) -> Any:  # the name Channels gives it
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))
