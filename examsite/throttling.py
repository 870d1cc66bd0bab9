"""DRF throttles keyed by the one client-address rule (``examsite.client_ip``).

DRF's own ``get_ident`` trusts the whole client-written ``X-Forwarded-For`` unless
``NUM_PROXIES`` is set, so rotating that header gave a fresh budget per request. Every DRF
throttle of the project derives from ``ClientAddressThrottle`` instead, and counts under the
same key as the login throttle (``TRUSTED_PROXY_COUNT``; IPv6 grouped by /64).
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from examsite.client_ip import client_ip


class ClientAddressThrottle(SimpleRateThrottle):
    def get_ident(self, request: Any) -> str:
        return client_ip(request)
