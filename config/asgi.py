"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (the routing does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from config import backpressure  # noqa: E402
from config.ws_origin import SameOriginValidator  # noqa: E402
from facilitation.fanout import hub  # noqa: E402
from facilitation.routing import websocket_urlpatterns  # noqa: E402

backpressure.install()

router = ProtocolTypeRouter(
    {
        # /static/ too: ServeStatic answers it inside Django's middleware (config/settings.py).
        "http": django_asgi_app,
        # The session for every socket; the user only for the staff's (facilitation.routing):
        # participants are anonymous, and reading the user for each of a room's phones cost a
        # hop to Channels' one shared database thread per connect.
        "websocket": SameOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    # The live broadcasts are coalesced on the loop that serves this process (see
    # facilitation.fanout): let the hub know it before any view commits a change.
    hub.bind()
    return await router(scope, receive, send)
