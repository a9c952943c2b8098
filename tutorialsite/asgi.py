"""ASGI entry point: HTTP to Django's async views, websockets to the demo consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorialsite.settings")

# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from live.socket_auth import AuthMiddlewareStack  # noqa: E402
from rooms.routing import websocket_urlpatterns  # noqa: E402
from tutorialsite import gc_tuning  # noqa: E402
from tutorialsite.http_guard import BodyLimit  # noqa: E402
from tutorialsite.page_cache import PageCache  # noqa: E402
from tutorialsite.socket_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Anonymous readers' pages, kept rendered; bodies counted as they arrive.
        "http": PageCache(BodyLimit(django_asgi_app)),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Last, once everything the site needs is loaded.
gc_tuning.tune_for_serving()
