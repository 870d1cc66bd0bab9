"""Candidates have no Django user: the rotated Django session is bound to one attempt."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from examsite.csrf import enforce_csrf

SESSION_ATTEMPT = "attempt_id"
SESSION_CLIENT = "client_id"
# What the next page after a login tells the candidate (a re-login counted as a leave).
SESSION_LOGIN_NOTICE = "login_notice"


@dataclass(frozen=True)
class CandidatePrincipal:
    attempt_id: int
    client_id: str
    is_authenticated: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True

    def has_perm(self, perm, obj=None) -> bool:
        return False


class CandidateSessionAuthentication(BaseAuthentication):
    def authenticate(self, request):
        session = request._request.session
        attempt_id = session.get(SESSION_ATTEMPT)
        if not isinstance(attempt_id, int):
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            enforce_csrf(request)
        return CandidatePrincipal(attempt_id=attempt_id, client_id=session.get(SESSION_CLIENT, "")), None

    def authenticate_header(self, request) -> str:
        return 'Session realm="candidate"'


class CsrfOnly(BaseAuthentication):
    """For the anonymous entry and login: no identity, but writes need the CSRF token."""

    def authenticate(self, request):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            enforce_csrf(request)
        return None


class NotLoggedIn(exceptions.NotAuthenticated):
    default_detail = _("您尚未登录或登录已失效，请输入考试口令和证件号重新登录。")


class IsCandidate(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, CandidatePrincipal):
            raise NotLoggedIn()
        return True
