"""Turn every refusal into ``{"code", "detail"}`` with a 4xx status, in one place."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
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


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
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


def json_404(request, exception=None):
    return JsonResponse({"code": "not_found", "detail": _("页面不存在。")}, status=404)


def json_500(request):
    return JsonResponse({"code": "server_error", "detail": _("服务器内部错误。")}, status=500)
