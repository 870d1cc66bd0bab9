from django.conf import settings

from exams.routing import websocket_urlpatterns as exams_ws
from proctoring.routing import websocket_urlpatterns as proctoring_ws
from support.routing import websocket_urlpatterns as support_ws

websocket_urlpatterns = [*exams_ws, *proctoring_ws, *support_ws]

if getattr(settings, "BENCH_BASELINE", False):  # `make bench` only: the bare echo consumer
    from bench.baseline_routing import websocket_urlpatterns as bench_ws

    websocket_urlpatterns += bench_ws
