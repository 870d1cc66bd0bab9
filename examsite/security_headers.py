"""Content-Security-Policy (django-csp): one strict policy, relaxed only where staff tools need it.

The policy is ``CONTENT_SECURITY_POLICY`` in settings: scripts and styles from our own origin
only, so no inline ``<script>`` and no ``style=""`` in our templates (tests/security scans them).
The Django admin (django-import-export's export page) and the Swagger UI page use inline
styles, so under ``CSP_RELAXED_STYLE_PREFIXES`` the policy also allows inline *styles*; never
inline scripts, and never on candidate pages.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# API responses carry a candidate's questions, answers and name (and staff data): never stored
# by a browser or a shared cache, whatever the view, its errors included.
NO_STORE_PREFIXES = ("/api/v1/",)


class NoStoreApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(NO_STORE_PREFIXES):
            add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, ...
        return response


class ExamCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        prefixes = tuple(getattr(settings, "CSP_RELAXED_STYLE_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes) and parts.update is None:
            parts.update = {"style-src": [UNSAFE_INLINE]}
        return parts
