"""Staff reads of an attempt's proctoring record over the API (the proctor wall, review tools).

``GET /api/v1/organizer/attempts/<id>/timeline/`` → ``{"events": [{"kind", "at", "client_time",
"details"}], "evidence": [...]}``, oldest first, paged with ``limit``/``offset`` on events (the
evidence list is paged the same way by ``evidence_limit``/``evidence_offset``).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.models import Attempt
from proctoring import selectors

MAX_LIMIT = 500


class MayReadTimeline(BasePermission):
    """Proctors, reviewers and organizers: the evidence permission or the live-monitor one."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user.has_perm("proctoring.view_evidence") or user.has_perm("exams.monitor_session"))


def _window(request: Request, prefix: str = "") -> tuple[int, int]:
    def read(name: str, default: int, maximum: int) -> int:
        try:
            value = int(request.query_params.get(f"{prefix}{name}", default))
        except (TypeError, ValueError):
            value = default
        return max(0, min(value, maximum))

    return read("limit", 200, MAX_LIMIT), read("offset", 0, 10**9)


class AttemptTimelineView(APIView):
    permission_classes = [IsAdminUser, MayReadTimeline]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int), OpenApiParameter("offset", int),
            OpenApiParameter("evidence_limit", int), OpenApiParameter("evidence_offset", int),
        ],
        responses={200: OpenApiResponse(description='{"events": [...], "evidence": [...]}')},
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        get_object_or_404(Attempt, pk=attempt_id)
        limit, offset = _window(request)
        ev_limit, ev_offset = _window(request, "evidence_")
        page = selectors.attempt_timeline_page(
            attempt_id=attempt_id, limit=limit, offset=offset,
            evidence_limit=ev_limit, evidence_offset=ev_offset,
        )
        for item in page["evidence"]:
            item["thumbnail_url"] = reverse("proctoring:evidence-thumb", args=[item["id"]])
            item["url"] = reverse("proctoring:evidence", args=[item["id"]])
        return Response(page)
