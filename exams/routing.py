from django.urls import path

from exams import consumers

websocket_urlpatterns = [
    path("ws/attempt/", consumers.AttemptConsumer.as_asgi()),
    path("ws/monitor/<int:session_id>/", consumers.MonitorConsumer.as_asgi()),
]
