from django.urls import path

from live.consumers import DemoConsumer

websocket_urlpatterns = [
    path("ws/demos/", DemoConsumer.as_asgi()),
]
