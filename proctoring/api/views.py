"""Proctoring API: the candidate's phone pairing, and the phone's heartbeat and snapshots.

Candidate endpoints use the candidate's exam session. Phone endpoints use the phone's own
cookie (``PHONE_COOKIE``), set when the phone claims its one-time link: the phone never
holds the candidate's exam session.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.api.candidate_auth import CandidateSessionAuthentication, IsCandidate
from examsite.csrf import enforce_csrf
from examsite.exceptions import InvalidInput
from examsite.site_url import absolute_url
from proctoring import exceptions as exc
from proctoring import phone_rules
from proctoring.services import phone

PHONE_COOKIE = "exam_phone"

ERROR = inline_serializer(
    "ProctoringError", {"code": serializers.CharField(), "detail": serializers.CharField()}
)


def pairing_url(request, token: str) -> str:
    """The link in the QR code: on ``SITE_URL`` when set, else on the request's own host
    (never a loopback address in production: ``examsite.site_url``)."""
    return absolute_url(request, reverse("proctoring:phone-start", args=[token]))


def qr_svg(url: str) -> str:
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title="鹰眼监控二维码")


class PairingView(APIView):
    """The confirmation page's QR code for the phone monitor (鹰眼监控)."""

    authentication_classes = [CandidateSessionAuthentication]
    permission_classes = [IsCandidate]

    @extend_schema(
        request=inline_serializer(
            "PairingIn",
            {
                "fingerprint": serializers.CharField(
                    required=False, max_length=phone_rules.FINGERPRINT_MAX_LENGTH,
                    help_text="The computer's coarse device facts (static/js/proctoring/fingerprint.js); "
                    "a phone reporting the same ones is refused (not_a_phone).",
                ),
            },
        ),
        responses={
            201: inline_serializer(
                "Pairing",
                {
                    "url": serializers.CharField(),
                    "qr_svg": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
            400: ERROR,
            409: ERROR,
        },
    )
    def post(self, request):
        now = timezone.now()
        absolute_url(request, "/")  # no address for the phone: refused before a pairing is made
        fingerprint = request.data.get("fingerprint", "") if hasattr(request.data, "get") else ""
        if not isinstance(fingerprint, str) or len(fingerprint) > phone_rules.FINGERPRINT_MAX_LENGTH:
            raise InvalidInput({"fingerprint": "invalid"})
        pairing, token = phone.candidate_pairing_create(
            attempt_id=request.user.attempt_id, client_id=request.user.client_id, now=now,
            fingerprint=fingerprint,
        )
        url = pairing_url(request, token)
        return Response(
            {"url": url, "qr_svg": qr_svg(url), "expires_at": pairing.expires_at.isoformat()},
            status=201,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(
        responses={
            200: inline_serializer(
                "PhoneStatus",
                {
                    "required": serializers.BooleanField(),
                    "status": serializers.ChoiceField(list(phone_rules.STATUSES)),
                    "since": serializers.DateTimeField(allow_null=True),
                    "waiting": serializers.BooleanField(),
                },
            )
        }
    )
    def get(self, request):
        return Response(phone.phone_status(attempt_id=request.user.attempt_id, now=timezone.now()))


@dataclass(frozen=True)
class PhonePrincipal:
    pairing_id: int
    is_authenticated: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True

    def has_perm(self, perm, obj=None) -> bool:
        return False


class PhoneCookieAuthentication(BaseAuthentication):
    def authenticate(self, request):
        pairing = phone.pairing_for_phone(phone_key=request.COOKIES.get(PHONE_COOKIE, ""))
        if pairing is None:
            return None
        enforce_csrf(request)
        return PhonePrincipal(pairing_id=pairing.id), None

    def authenticate_header(self, request) -> str:
        return 'Cookie realm="phone"'


class IsPairedPhone(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, PhonePrincipal):
            raise exc.PhoneNotPaired()
        return True


class PhoneView(APIView):
    authentication_classes = [PhoneCookieAuthentication]
    permission_classes = [IsPairedPhone]


def _phone_settings() -> dict:
    return {
        "heartbeat_seconds": phone.heartbeat_interval_seconds(),
        "snapshot_seconds": phone.phone_snapshot_interval_seconds(),
    }


class PhoneHeartbeatView(PhoneView):
    @extend_schema(
        request=inline_serializer(
            "PhoneHeartbeatIn",
            {"problem": serializers.ChoiceField(list(phone_rules.PHONE_REPORTABLE), required=False)},
        ),
        responses={200: OpenApiResponse(description="alive"), 409: ERROR},
    )
    def post(self, request):
        problem = request.data.get("problem") if hasattr(request.data, "get") else None
        if problem not in (None, "", *phone_rules.PHONE_REPORTABLE):
            raise InvalidInput({"problem": "unknown"})
        phone.phone_heartbeat(pairing_id=request.user.pairing_id, now=timezone.now(), problem=problem or "")
        return Response({"status": "connected", **_phone_settings()})


class PhoneSnapshotView(PhoneView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "PhoneSnapshotIn",
                {
                    "photo": serializers.ImageField(),
                    "capture_id": serializers.CharField(),
                    "captured_at": serializers.CharField(),
                },
            )
        },
        responses={201: OpenApiResponse(description="stored"), 413: ERROR, 415: ERROR},
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        # Refuse an oversized body before reading it (the multipart overhead is small).
        if length.isdigit() and int(length) > settings.EVIDENCE_MAX_BYTES + 64 * 1024:
            raise exc.UploadTooLarge()
        upload = request.FILES.get("photo")
        if upload is None:
            raise InvalidInput({"photo": "required"})
        evidence = phone.phone_snapshot_store(
            pairing_id=request.user.pairing_id,
            upload=upload,
            now=timezone.now(),
            capture_id=request.data.get("capture_id", ""),
            captured_at=request.data.get("captured_at"),
        )
        return Response(
            {
                "id": evidence.id,
                "sha256": evidence.sha256,
                "size": evidence.size,
                "received_at": evidence.received_at.isoformat(),
            },
            status=201,
        )
