"""Refuse oversized API bodies before anything reads them.

Django enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when it parses form data itself; DRF's
JSON parser reads the whole stream. So the API checks ``Content-Length`` up front:
JSON and form bodies up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, multipart uploads (photos,
screenshots) up to ``API_MAX_UPLOAD_BYTES``. Too large: 413 ``{"code": "request_too_large"}``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.deprecation import MiddlewareMixin

from examsite.errors import request_too_large_body

API_PREFIX = "/api/"


class ApiBodyLimitMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads nothing from the body
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.API_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return JsonResponse(request_too_large_body(), status=413)
        return None
