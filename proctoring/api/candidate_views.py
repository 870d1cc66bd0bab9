"""The candidate API's proctoring part: the page's events (screen leaves, camera) and photos.

Same authentication and URL prefix (``/api/v1/candidate/``) as the rest of the candidate API
(``exams.api.candidate_views``); mounted by examsite.urls.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from exams.api.candidate_auth import (
    CandidatePrincipal,
    CandidateSessionAuthentication,
    IsCandidate,
    NotLoggedIn,
)
from exams.api.candidate_views import CandidateView, json_body
from exams.selectors.attempts import attempt_status
from examsite.exceptions import InvalidInput
from proctoring import exceptions as exc
from proctoring.api.views import PhoneCookieAuthentication, PhonePrincipal
from proctoring.services import recording
from proctoring.services.events import events_record, evidence_capture


class EventIn(serializers.Serializer):
    kind = serializers.CharField()
    client_time = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    details = serializers.DictField(required=False)


class EventsIn(serializers.Serializer):
    events = EventIn(many=True)


class EventsView(CandidateView):
    @extend_schema(request=EventsIn, responses={200: OpenApiResponse(description="leaves and lock")})
    def post(self, request):
        data = json_body(request, ("events",))
        now = timezone.now()
        attempt = events_record(
            attempt_id=request.user.attempt_id, client_id=request.user.client_id,
            events=data["events"], now=now,
        )
        return Response(
            {"locked": attempt.locked, "leaves_used": attempt.leaves_used,
             "leaves_max": attempt_status(attempt=attempt, now=now)["leaves_max"]}
        )


class PhotoView(CandidateView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("PhotoIn", {"photo": serializers.ImageField()})},
        responses={201: OpenApiResponse(description="stored")},
    )
    def post(self, request):
        upload = request.FILES.get("photo")
        if upload is None:
            raise InvalidInput({"photo": "required"})
        evidence = evidence_capture(
            attempt_id=request.user.attempt_id,
            client_id=request.user.client_id,
            kind=request.data.get("kind") or "login_photo",
            upload=upload,
            capture_id=request.data.get("capture_id", ""),
            captured_at=request.data.get("captured_at"),
            now=timezone.now(),
        )
        return Response(
            {"id": evidence.id, "sha256": evidence.sha256, "size": evidence.size,
             "received_at": evidence.received_at.isoformat()},
            status=201,
        )


class _CandidateOrPhone(IsCandidate):
    def has_permission(self, request, view) -> bool:
        if isinstance(request.user, PhonePrincipal):
            return True
        return super().has_permission(request, view)


class RecordingView(CandidateView):
    """One chunk of the full-exam recording. ``stream=computer`` comes from the candidate's page
    (its exam session names the attempt); ``stream=phone`` from the paired phone (its cookie
    names the pairing, hence the attempt). No request can name another attempt."""

    authentication_classes = [CandidateSessionAuthentication, PhoneCookieAuthentication]
    permission_classes = [_CandidateOrPhone]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "RecordingChunkIn",
                {
                    "chunk": serializers.FileField(help_text="a complete WebM file (VP8/VP9 + Opus)"),
                    "stream": serializers.ChoiceField(["computer", "phone"]),
                    "seq": serializers.IntegerField(min_value=0),
                    "started_at": serializers.DateTimeField(help_text="by the page's server-corrected clock"),
                    "duration": serializers.FloatField(required=False, help_text="seconds"),
                },
            )
        },
        responses={
            201: OpenApiResponse(description="stored"),
            200: OpenApiResponse(description="this (stream, seq) was stored before: nothing stored again"),
            400: OpenApiResponse(description="invalid_recording / invalid"),
            429: OpenApiResponse(description="throttled: the attempt's recording quota is used up"),
        },
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) > settings.RECORDING_CHUNK_MAX_BYTES + 64 * 1024:
            raise exc.InvalidRecording()
        upload = request.FILES.get("chunk")
        if upload is None:
            raise InvalidInput({"chunk": "required"})
        chunk = recording.chunk_fields(
            stream=request.data.get("stream"), seq=request.data.get("seq"),
            started_at=request.data.get("started_at"), duration=request.data.get("duration"),
        )
        now = timezone.now()
        user = request.user
        if chunk.stream == "phone":
            if not isinstance(user, PhonePrincipal):
                raise exc.PhoneNotPaired()
            stored = recording.phone_chunk_upload(pairing_id=user.pairing_id, chunk=chunk, upload=upload, now=now)
        else:
            if not isinstance(user, CandidatePrincipal):
                raise NotLoggedIn()
            stored = recording.candidate_chunk_upload(
                attempt_id=user.attempt_id, client_id=user.client_id, chunk=chunk, upload=upload, now=now
            )
        row = stored.chunk
        return Response(
            {"stream": row.stream, "seq": row.seq, "sha256": row.sha256, "size": row.size,
             "received_at": row.received_at.isoformat(), "late": row.late},
            status=201 if stored.created else 200,
        )
