from django.urls import path

from support import consumers

websocket_urlpatterns = [
    path("ws/support/", consumers.QueueConsumer.as_asgi()),
    path("ws/support/mine/", consumers.MyTicketsConsumer.as_asgi()),
]
