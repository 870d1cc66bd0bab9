import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from examsite.admission import LoginAdmission  # noqa: E402
from examsite.routing import websocket_urlpatterns  # noqa: E402
from examsite.ws_origin import SameSiteOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": LoginAdmission(django_asgi_app),
        "websocket": SameSiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
