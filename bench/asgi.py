"""The bench's ASGI entry point: the product, with its baselines beside it.

``tutorialsite.asgi.application`` serves everything as usual; only these
paths, which the product never uses, go to the baselines measured in the same
process and the same run:

- ``/bench/raw/hello/``: raw ASGI, the ceiling of the server;
- ``/bench/django/hello/``: Django's stock middleware list and an async view;
- ``/bench/product/hello/``: the same view through the product's middleware;
- ``/bench/heartbeat/start|stop``: event-loop lag while a scenario runs;
- ``/bench/gc/``: the garbage collections so far, and their pauses;
- ``/ws/bench/``: the bare Channels consumer.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorialsite.settings")

from bench import gc_watch
from bench.baselines import (
    DJANGO_DEFAULT_MIDDLEWARE,
    BareDemoConsumer,
    BenchDjangoHandler,
    raw_hello,
)
from bench.heartbeat import heartbeat_app
from tutorialsite.asgi import application as product

stock_django = BenchDjangoHandler(middleware=DJANGO_DEFAULT_MIDDLEWARE)
product_django = BenchDjangoHandler(middleware=None)
bare_consumer = BareDemoConsumer.as_asgi()
gc_watch.install()


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    path = scope.get("path", "")
    if scope["type"] == "http":
        if path == "/bench/raw/hello/":
            return await raw_hello(scope, receive, send)
        if path == "/bench/django/hello/":
            return await stock_django(scope, receive, send)
        if path == "/bench/product/hello/":
            return await product_django(scope, receive, send)
        if path.startswith("/bench/heartbeat/"):
            return await heartbeat_app(scope, receive, send)
        if path == "/bench/gc/":
            return await gc_watch.gc_app(scope, receive, send)
    elif scope["type"] == "websocket" and path == "/ws/bench/":
        return await bare_consumer(scope, receive, send)
    return await product(scope, receive, send)
