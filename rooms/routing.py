from django.urls import path

from rooms.consumers import RoomDemoConsumer

# The demo socket, with the room frames added (rooms.consumers).
websocket_urlpatterns = [
    path("ws/demos/", RoomDemoConsumer.as_asgi()),
]
