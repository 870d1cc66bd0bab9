"""The address a request came from, for throttling and lockouts.

``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` > 0: then the address the first of our
trusted proxies saw, i.e. the ``TRUSTED_PROXY_COUNT``-th entry from the right of
``X-Forwarded-For``. Entries further left are written by the client and are never trusted.
IPv6 clients are grouped by their /64, which one household or exam centre usually owns.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def normalized_ip(raw: str) -> str | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def client_ip(request) -> str:
    request = getattr(request, "_request", request)  # a DRF Request wraps the Django one
    meta = request.META
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count > 0:
        hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            found = normalized_ip(hops[-count])
            if found:
                return found
    return normalized_ip(meta.get("REMOTE_ADDR") or "") or UNKNOWN
