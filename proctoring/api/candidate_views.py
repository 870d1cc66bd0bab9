"""The candidate API's proctoring part: the page's events (screen leaves, camera) and photos.

Same authentication and URL prefix (``/api/v1/candidate/``) as the rest of the candidate API
(``exams.api.candidate_views``); mounted by examsite.urls.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from exams.api.candidate_views import CandidateView, json_body
from exams.selectors.attempts import attempt_status
from examsite.exceptions import InvalidInput
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
