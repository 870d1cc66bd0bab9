"""Guard API request bodies before any view reads them.

- Size: Django enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when it parses form data itself;
  DRF's JSON parser reads the whole stream. So ``Content-Length`` is checked up front: JSON
  and form bodies up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, multipart uploads (photos,
  screenshots) up to ``API_MAX_UPLOAD_BYTES``. Too large: 413 ``request_too_large``.
- Text the database cannot store: NUL characters and lone UTF-16 surrogates are valid in
  JSON (``"\\u0000"``, ``"\\ud800"``) and in form fields (``%00``), but PostgreSQL refuses
  them in text and jsonb, and a lone surrogate cannot even be encoded as UTF-8. Left alone
  they surface deep in a service as a 500 (or a misleading "retry" 503). Refused here as
  400 ``malformed_request``, for every API view whatever parsers it lists.

Browsers' ``JSON.stringify`` writes Chinese text as raw UTF-8, so the JSON check re-parses
a body only in the rare case that it contains a ``\\u`` escape at all.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from examsite.errors import request_too_large_body

API_PREFIX = "/api/"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def has_unstorable_text(value: Any) -> bool:
    """True if any string in a decoded body holds a NUL or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _unstorable():
    return JsonResponse(
        {
            "code": "malformed_request",
            "detail": _("请求中包含无法保存的字符（如空字符或不完整的 Unicode 字符），请删除后重试。"),
        },
        status=400,
    )


class ApiBodyGuardMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX) or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads nothing from the body
        multipart = content_type.startswith("multipart/")
        limit = settings.API_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return JsonResponse(request_too_large_body(), status=413)
        if length == 0:
            return None
        if content_type.startswith(FORM_TYPES):
            return self._check_form(request)
        if "json" in content_type:
            return self._check_json(request)
        return None

    @staticmethod
    def _check_form(request):
        try:
            fields = request.POST  # parsed once here; DRF and the CSRF check reuse it
        except RequestDataTooBig:
            return JsonResponse(request_too_large_body(), status=413)
        except (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
            return None  # the view reports the malformed form
        if any(has_unstorable_text([key, *values]) for key, values in fields.lists()):
            return _unstorable()
        return None

    @staticmethod
    def _check_json(request):
        body = request.body
        if b"\\u" not in body:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the parser reports malformed JSON
        return _unstorable() if has_unstorable_text(data) else None
