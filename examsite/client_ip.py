"""The address a request came from, for throttling and lockouts.

``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` > 0: then the address the first of our
trusted proxies saw, i.e. the ``TRUSTED_PROXY_COUNT``-th entry from the right of
``X-Forwarded-For``. Entries further left are written by the client and are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def _parsed(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalized_ip(raw: str) -> str | None:
    """A throttling key for an address: IPv6 clients are grouped by their /64, which one
    household or exam centre usually owns (and can change at will)."""
    address = _parsed(raw)
    if address is None:
        return None
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def client_address(request) -> str | None:
    """The client's address as a plain IP (what django-axes records), or None."""
    request = getattr(request, "_request", request)  # a DRF Request wraps the Django one
    meta = getattr(request, "META", {})
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count > 0:
        hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            found = _parsed(hops[-count])
            if found is not None:
                return str(found)
    found = _parsed(meta.get("REMOTE_ADDR") or "")
    return str(found) if found is not None else None


def client_ip(request) -> str:
    """The key the login throttle counts a request under."""
    address = client_address(request)
    return (normalized_ip(address) if address else None) or UNKNOWN
