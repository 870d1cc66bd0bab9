import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
from examsite.asgi_handler import get_asgi_application  # noqa: E402

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
