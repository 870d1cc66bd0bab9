"""TOTP two-factor for organizers (django-otp), on by default in production.

``OTP_REQUIRED_FOR_ORGANIZERS`` (default: on when DEBUG is off) makes the admin login ask
superusers and members of the ``organizer`` group for the 6-digit code of their TOTP device;
proctors and support staff log in with their password. A session that is not verified
(e.g. one from before the setting was turned on) does not pass the admin's permission check,
and the middleware refuses it on the other staff pages and the organizer API.

Devices: a superuser adds one in the admin (OTP_TOTP → TOTP devices, which shows the QR code)
or runs ``manage.py otp_enroll --username NAME``.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin

ORGANIZER_GROUP = "organizer"
# Candidate-facing paths never carry a staff login: skip the check (and its thread hop).
CANDIDATE_PREFIXES = (
    "/static/",
    "/api/v1/candidate/",
    "/api/v1/proctoring/",
    "/api/v1/support/",
    "/exam/",
    "/login/",
    "/proctoring/phone/",
    "/notice/",
    "/i18n/",
)


def otp_required_for(user) -> bool:
    if not getattr(settings, "OTP_REQUIRED_FOR_ORGANIZERS", False):
        return False
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    return user.is_superuser or user.groups.filter(name=ORGANIZER_GROUP).exists()


def otp_satisfied(user) -> bool:
    if not otp_required_for(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class StaffAuthenticationForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """Admin login: username and password, plus the TOTP code where the user needs one."""

    otp_device = forms.CharField(label=gettext_lazy("验证设备"), required=False, widget=forms.Select)
    otp_token = forms.CharField(
        label=gettext_lazy("动态验证码（考务人员必填）"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": gettext_lazy("请输入身份验证器中的 6 位动态验证码。"),
        "invalid_token": gettext_lazy("动态验证码不正确，请重新输入。"),
    }

    def _chosen_device(self, user):
        """Most staff have one authenticator: use it without asking which."""
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                return devices[0]
        return device

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if otp_required_for(user):
            self.clean_otp(user)
        return cleaned


class ExamAdminSite(admin.AdminSite):
    login_form = StaffAuthenticationForm
    login_template = "admin/exam_login.html"

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and otp_satisfied(request.user)

    def each_context(self, request):
        context = super().each_context(request)
        context["otp_required"] = bool(getattr(settings, "OTP_REQUIRED_FOR_ORGANIZERS", False))
        return context


class OrganizerOTPMiddleware:
    """Staff pages outside the admin and the organizer API need a verified organizer too.

    After ``django_otp.middleware.OTPMiddleware``. The admin checks itself (has_permission).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    @staticmethod
    def _skip(request) -> bool:
        path = request.path_info
        return (
            not getattr(settings, "OTP_REQUIRED_FOR_ORGANIZERS", False)
            or path == "/"
            or path == "/healthz"  # the load balancer's probe: no session, no queries
            or path.startswith(CANDIDATE_PREFIXES)
            or path.startswith("/admin/")
        )

    @staticmethod
    def _refusal(request):
        if otp_satisfied(request.user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"code": "otp_required", "detail": _("请先在考务后台登录页输入动态验证码完成两步验证。")},
                status=403,
            )
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))

    def __call__(self, request):
        if self._async:
            return self.__acall__(request)
        if not self._skip(request):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    async def __acall__(self, request):
        if not self._skip(request):
            refusal = await sync_to_async(self._refusal)(request)
            if refusal is not None:
                return refusal
        return await self.get_response(request)
