"""Turn every refusal into ``{"code", "detail"}`` with a 4xx status, in one place."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from examsite.exceptions import DomainError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    drf.NotAuthenticated: "not_logged_in",
    drf.AuthenticationFailed: "not_logged_in",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.ParseError: "malformed_request",
    drf.Throttled: "throttled",
    drf.ValidationError: "invalid",
    drf.NotAcceptable: "not_acceptable",
}


def request_too_large_body() -> dict:
    return {"code": "request_too_large", "detail": _("请求内容过大，请减少内容后重试。")}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status, headers=getattr(exc, "headers", None))
    if isinstance(exc, RequestDataTooBig):
        return Response(request_too_large_body(), status=413)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"code": "malformed_request", "detail": _("请求包含的字段或文件过多。")}, status=400)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"code": "service_unavailable", "detail": _("服务器暂时繁忙，请稍候重试；您的答案已保存在本机。")},
            status=503,
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return Response(
            {"code": "service_unavailable", "detail": _("服务器暂时繁忙，请稍候重试。")},
            status=503,
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, drf.ValidationError):
        response.data = {"code": code, "detail": _("请求内容有误。"), "errors": exc.detail}
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = {"code": code, "detail": detail}
    return response


def server_error(request):
    """handler500: a database or cache outage is a retryable 503, never a bare 500."""
    import sys

    from django.shortcuts import render

    error = sys.exc_info()[1]
    unavailable = isinstance(error, (OperationalError, InterfaceError)) or type(error).__module__.startswith(
        ("redis", "kombu")
    )
    status = 503 if unavailable else 500
    code = "service_unavailable" if unavailable else "server_error"
    if unavailable:
        detail = _("服务器暂时繁忙，请稍候重试；您的答案已保存在本机。")
    else:
        detail = _("服务器内部错误，请稍后重试。")
    headers = {"Retry-After": "2"} if unavailable else {}
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": code, "detail": detail}, status=status)
    else:
        try:
            response = render(request, "error.html", {"detail": detail, "code": code}, status=status)
        except Exception:
            response = JsonResponse({"code": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response
