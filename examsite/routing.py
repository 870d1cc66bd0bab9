from exams.routing import websocket_urlpatterns as exams_ws
from support.routing import websocket_urlpatterns as support_ws

websocket_urlpatterns = [*exams_ws, *support_ws]
