"""Organizer actions over the API: the same services as the staff pages, same audit."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.models import Attempt, ExamSession
from exams.services import answering, organizer, steps


def needs(perm: str) -> type[BasePermission]:
    class HasPerm(BasePermission):
        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(perm)

    HasPerm.__name__ = f"Has_{perm.replace('.', '_')}"
    return HasPerm


class ExtraTimeIn(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=organizer.MAX_EXTRA_MINUTES)
    reason = serializers.CharField(max_length=1000)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class MessageIn(serializers.Serializer):
    text = serializers.CharField(max_length=organizer.MAX_MESSAGE)


ATTEMPT_OUT = inline_serializer(
    "AttemptActionResult",
    {"id": serializers.IntegerField(), "deadline": serializers.DateTimeField(),
     "extra_minutes": serializers.IntegerField(), "locked": serializers.BooleanField()},
)


def _attempt_out(attempt: Attempt) -> dict:
    return {"id": attempt.id, "deadline": attempt.deadline.isoformat(),
            "extra_minutes": attempt.extra_minutes, "locked": attempt.locked}


class ExtraTimeView(APIView):
    permission_classes = [IsAdminUser, needs("exams.grant_extra_time")]

    @extend_schema(request=ExtraTimeIn, responses={200: ATTEMPT_OUT})
    def post(self, request, attempt_id: int):
        get_object_or_404(Attempt, pk=attempt_id)
        data = ExtraTimeIn(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = organizer.attempt_grant_extra_minutes(
            attempt_id=attempt_id, minutes=data.validated_data["minutes"],
            reason=data.validated_data["reason"], actor=request.user, now=timezone.now(),
        )
        return Response(_attempt_out(attempt))


class UnlockView(APIView):
    permission_classes = [IsAdminUser, needs("exams.unlock_attempt")]

    @extend_schema(request=ReasonIn, responses={200: ATTEMPT_OUT})
    def post(self, request, attempt_id: int):
        get_object_or_404(Attempt, pk=attempt_id)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = answering.attempt_unlock(
            attempt_id=attempt_id, actor=request.user, reason=data.validated_data["reason"],
            now=timezone.now(), source="api",
        )
        return Response(_attempt_out(attempt))


class WaiveStepIn(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(steps.STEPS))
    reason = serializers.CharField(max_length=1000)


class WaiveStepView(APIView):
    """Waive one required step for one candidate (support staff, proctors, organizers)."""

    permission_classes = [IsAdminUser, needs("exams.waive_step")]

    @extend_schema(request=WaiveStepIn, responses={200: inline_serializer(
        "StepsState", {"id": serializers.IntegerField(), "steps": serializers.DictField()})})
    def post(self, request, attempt_id: int):
        get_object_or_404(Attempt, pk=attempt_id)
        data = WaiveStepIn(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = steps.attempt_step_waive(
            attempt_id=attempt_id, step=data.validated_data["step"], reason=data.validated_data["reason"],
            actor=request.user, now=timezone.now(), source="api",
        )
        return Response({"id": attempt.id, "steps": steps.steps_state(attempt)})


class AttemptMessageView(APIView):
    permission_classes = [IsAdminUser, needs("exams.message_attempt")]

    @extend_schema(request=MessageIn, responses={200: inline_serializer("Sent", {"sent": serializers.IntegerField()})})
    def post(self, request, attempt_id: int):
        get_object_or_404(Attempt, pk=attempt_id)
        data = MessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        organizer.attempt_send_message(
            attempt_id=attempt_id, text=data.validated_data["text"], actor=request.user, now=timezone.now(),
            source="api",
        )
        return Response({"sent": 1})


class SessionMessageView(APIView):
    permission_classes = [IsAdminUser, needs("exams.message_attempt")]

    @extend_schema(
        request=MessageIn, responses={200: inline_serializer("SentSession", {"sent": serializers.IntegerField()})}
    )
    def post(self, request, session_id: int):
        get_object_or_404(ExamSession, pk=session_id)
        data = MessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        sent = organizer.session_send_message(
            session_id=session_id, text=data.validated_data["text"], actor=request.user, now=timezone.now()
        )
        return Response({"sent": sent})
