from django.urls import path

from lessons.consumers import DemoConsumer

websocket_urlpatterns = [
    path("ws/demos/", DemoConsumer.as_asgi()),
]
