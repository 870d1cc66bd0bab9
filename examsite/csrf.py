"""CSRF for API views that have no Django user (candidates), the way DRF checks it."""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from examsite.exceptions import DomainError


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403


class _Check(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def enforce_csrf(request) -> None:
    django_request = getattr(request, "_request", request)
    check = _Check(lambda req: None)  # type: ignore[arg-type]  # never called: only the checks run
    check.process_request(django_request)
    reason = check.process_view(django_request, None, (), {})  # type: ignore[arg-type]  # no view to exempt
    if reason:
        raise CsrfFailed(_("页面已过期（安全校验失败），请刷新页面后重试。"), extra={"reason": reason})
