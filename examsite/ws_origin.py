"""Websocket origin check: the page must come from this very site.

A browser sends ``Origin`` (scheme, host, port of the page) and ``Host`` (where it connects) with
every websocket handshake. The socket is accepted when the origin equals the site's own scheme,
host and port — the request's own ``Host`` with its scheme (``wss``/``ws``, or ``https`` from the
proxy header named by ``SECURE_PROXY_SSL_HEADER`` behind TLS-terminating proxies) — and that host
is one of ``ALLOWED_HOSTS``; or when the origin is an entry of ``CSRF_TRUSTED_ORIGINS``. Channels'
``AllowedHostsOriginValidator`` compared host names only: ``http://exam.example.org:8080`` or
``http://`` pages passed for an ``https`` site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in, or None if unreadable."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        out[name.decode("latin1").lower()] = value.decode("latin1")
    return out


def _site_scheme(scope: dict[str, Any], headers: dict[str, str]) -> str:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, secure_value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        forwarded = headers.get(header, "").split(",")[0].strip()
        if forwarded:
            return "https" if forwarded == secure_value else "http"
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def _trusted(origin: tuple[str, str, int]) -> bool:
    for entry in getattr(settings, "CSRF_TRUSTED_ORIGINS", []) or []:
        scheme, _sep, rest = entry.partition("://")
        wildcard = rest.startswith("*.")
        trusted = normalized_origin(f"{scheme}://{rest[2:] if wildcard else rest}")
        if trusted is None or trusted[0] != origin[0] or trusted[2] != origin[2]:
            continue
        if trusted[1] == origin[1] or (wildcard and origin[1].endswith("." + trusted[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = _headers(scope)
    origin = normalized_origin(headers.get("origin", ""))
    if origin is None:
        return False
    if _trusted(origin):
        return True
    host = headers.get("host", "")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    site = normalized_origin(f"{_site_scheme(scope, headers)}://{host}")
    return site is not None and site == origin


class SameSiteOriginValidator:
    """ASGI middleware for the websocket router: deny a handshake from any other origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
