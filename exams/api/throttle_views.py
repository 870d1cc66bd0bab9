"""POST /api/v1/organizer/throttle/clear/: staff give a throttled candidate a fresh login budget.

Any staff member who may unlock attempts (organizers, proctors, support) may clear: it is
the same help for a candidate who cannot get in (exams.services.login_throttle).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.services.login_throttle import login_throttle_clear

CLEAR_PERMISSION = "exams.unlock_attempt"


class MayClearThrottle(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(CLEAR_PERMISSION)


class ThrottleClearIn(serializers.Serializer):
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=64)
    password = serializers.CharField(required=False, allow_blank=True, max_length=32)
    ip = serializers.CharField(required=False, allow_blank=True, max_length=64)


class ThrottleClearView(APIView):
    permission_classes = [IsAdminUser, MayClearThrottle]

    @extend_schema(
        tags=["organizer"],
        request=ThrottleClearIn,
        responses={
            200: inline_serializer(
                "ThrottleCleared", {"cleared": serializers.ListField(child=serializers.CharField())}
            )
        },
    )
    def post(self, request):
        data = ThrottleClearIn(data=request.data)
        data.is_valid(raise_exception=True)
        cleared = login_throttle_clear(
            id_number=data.validated_data.get("id_number"),
            password=data.validated_data.get("password"),
            ip=data.validated_data.get("ip"),
            actor=request.user,
            now=timezone.now(),
        )
        return Response({"cleared": cleared})
