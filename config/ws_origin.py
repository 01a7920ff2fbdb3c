"""The websocket's Origin check: the page that opens a socket must come from this very site.

Channels' AllowedHostsOriginValidator compares only the Origin's host name with
ALLOWED_HOSTS, so a page served from another port of the same host (`http://127.0.0.1:9999`,
any other program on the facilitator's laptop) could open a socket with the room's cookies and
read it. Browsers send the Origin header on every websocket handshake; here it must equal the
handshake's own origin — scheme, host and port — as Django's CSRF check asks of a POST, or be
listed in CSRF_TRUSTED_ORIGINS. The scheme is the proxy's X-Forwarded-Proto when it sends one,
else https when the deployment is (settings.HTTPS), http otherwise (the laptop in the room).
"""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return (scheme, host.lower(), port or DEFAULT_PORTS.get(scheme, 0))


def same_origin(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    host_header = _header(scope, b"host")
    if not origin or not host_header:
        return False
    try:
        parsed = urlsplit(origin)
        origin_port = parsed.port
    except ValueError:  # a port that is not a number, or out of range
        return False
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname:
        return False
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    domain, port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    # The scheme the browser used: the proxy's X-Forwarded-Proto when there is one (a browser
    # cannot set it on a handshake), else what the deployment says.
    forwarded = (_header(scope, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
    scheme = forwarded if forwarded in DEFAULT_PORTS else ("https" if settings.HTTPS else "http")
    try:
        own_port = int(port) if port else None
    except ValueError:
        return False
    own_host = domain[1:-1] if domain.startswith("[") else domain
    return _origin(parsed.scheme, parsed.hostname, origin_port) == _origin(
        scheme, own_host, own_port
    )


class SameOriginValidator:
    """ASGI middleware: refuses (403 at the handshake) a websocket from another origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator is for websocket connections only")
        if same_origin(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
