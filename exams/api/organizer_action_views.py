"""Organizer actions over the API: the same services as the staff pages, same audit."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.api.organizer_base import error_paths
from exams.models import Attempt, ExamSession
from exams.selectors.attempts import late_answers
from exams.services import answering, backups, organizer, recovery, steps
from exams.services import late_answers as late_answer_service
from examsite.exceptions import InvalidInput


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


class SessionExtraTimeIn(ExtraTimeIn):
    attempts = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_empty=False, max_length=recovery.MAX_ATTEMPT_IDS,
        help_text="only these attempts of the session (each must be open); omitted: every open attempt",
    )


class ReadmitIn(ReasonIn):
    minutes = serializers.IntegerField(
        min_value=1, max_value=organizer.MAX_EXTRA_MINUTES, required=False, allow_null=True,
        help_text="extra time; required when the session has already ended (the candidate's own deadline)",
    )


class ReopenIn(ReasonIn):
    minutes = serializers.IntegerField(min_value=1, max_value=organizer.MAX_EXTRA_MINUTES)


class AcceptLateIn(ReasonIn):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=False,
                                help_text="late answers to apply; omitted: all not applied yet")


ATTEMPT_OUT = inline_serializer(
    "AttemptActionResult",
    {"id": serializers.IntegerField(), "state": serializers.CharField(), "deadline": serializers.DateTimeField(),
     "extra_minutes": serializers.IntegerField(), "locked": serializers.BooleanField()},
)


def _attempt_out(attempt: Attempt) -> dict:
    return {"id": attempt.id, "state": attempt.state, "deadline": attempt.deadline.isoformat(),
            "extra_minutes": attempt.extra_minutes, "locked": attempt.locked}


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    if not data.is_valid():
        raise InvalidInput(error_paths(data.errors))
    return dict(data.validated_data)


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


class SessionExtraTimeView(APIView):
    permission_classes = [IsAdminUser, needs("exams.grant_extra_time")]

    @extend_schema(request=SessionExtraTimeIn, responses={200: inline_serializer(
        "SessionExtraTimeResult", {"count": serializers.IntegerField(), "attempts": ATTEMPT_OUT})})
    def post(self, request, session_id: int):
        """A session-wide time credit for an interruption (all open attempts, or those listed)."""
        get_object_or_404(ExamSession, pk=session_id)
        data = _valid(SessionExtraTimeIn, request)
        ids = recovery.session_grant_extra_minutes(
            session_id=session_id, minutes=data["minutes"], reason=data["reason"], actor=request.user,
            now=timezone.now(), attempt_ids=data.get("attempts"),
        )
        moved = Attempt.objects.filter(pk__in=ids).order_by("id")
        return Response({"count": len(ids), "attempts": [_attempt_out(a) for a in moved]})


class ReadmitView(APIView):
    permission_classes = [IsAdminUser, needs("exams.recover_attempt")]

    @extend_schema(request=ReadmitIn, responses={200: ATTEMPT_OUT})
    def post(self, request, attempt_id: int):
        """Re-admit a candidate marked late or absent: they may log in after the late cutoff."""
        get_object_or_404(Attempt, pk=attempt_id)
        data = _valid(ReadmitIn, request)
        attempt = recovery.attempt_readmit(
            attempt_id=attempt_id, reason=data["reason"], minutes=data.get("minutes"), actor=request.user,
            now=timezone.now(),
        )
        return Response(_attempt_out(attempt))


class ReopenView(APIView):
    permission_classes = [IsAdminUser, needs("exams.recover_attempt")]

    @extend_schema(request=ReopenIn, responses={200: ATTEMPT_OUT})
    def post(self, request, attempt_id: int):
        """Reopen a submitted or collected attempt until ``minutes`` from now; the old receipt stays
        in the audit."""
        get_object_or_404(Attempt, pk=attempt_id)
        data = _valid(ReopenIn, request)
        attempt = recovery.attempt_reopen(
            attempt_id=attempt_id, reason=data["reason"], minutes=data["minutes"], actor=request.user,
            now=timezone.now(),
        )
        return Response(_attempt_out(attempt))


LATE_ANSWER = inline_serializer("LateAnswer", {
    "id": serializers.IntegerField(), "question": serializers.IntegerField(), "value": serializers.JSONField(),
    "seq": serializers.IntegerField(), "received_at": serializers.DateTimeField(),
    "source": serializers.ChoiceField(choices=["network", "backup"]),
    "recorded_at": serializers.DateTimeField(allow_null=True), "applied_at": serializers.DateTimeField(allow_null=True),
})


class LateAnswersView(APIView):
    permission_classes = [IsAdminUser, needs("exams.view_attempt")]

    @extend_schema(responses={200: inline_serializer("LateAnswers", {"late_answers": LATE_ANSWER})})
    def get(self, request, attempt_id: int):
        """Answers that came after the deadline's grace (network) or from a backup file (backup)."""
        get_object_or_404(Attempt, pk=attempt_id)
        return Response({"late_answers": late_answers(attempt_id=attempt_id)})


class AcceptLateAnswersView(APIView):
    permission_classes = [IsAdminUser, needs("exams.recover_attempt")]

    @extend_schema(request=AcceptLateIn, responses={200: inline_serializer(
        "AcceptedLate", {"applied": serializers.IntegerField(), "receipt": serializers.CharField()})})
    def post(self, request, attempt_id: int):
        """Apply late answers (highest seq still wins), re-score, new receipt; audited with the old one."""
        get_object_or_404(Attempt, pk=attempt_id)
        data = _valid(AcceptLateIn, request)
        applied, receipt = late_answer_service.late_answers_accept(
            attempt_id=attempt_id, reason=data["reason"], ids=data.get("ids"), actor=request.user,
            now=timezone.now(),
        )
        return Response({"applied": applied, "receipt": receipt})


class BackupUploadView(APIView):
    permission_classes = [IsAdminUser, needs("exams.recover_attempt")]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("BackupUpload", {"file": serializers.FileField()})},
        responses={200: inline_serializer("BackupImported", {
            "entries": serializers.IntegerField(), "stored": serializers.IntegerField(),
            "after_deadline": serializers.IntegerField(), "duplicates": serializers.IntegerField()})},
    )
    def post(self, request, attempt_id: int):
        """Import a candidate's emergency backup file: its entries made before the deadline become
        late answers (source backup) to accept."""
        get_object_or_404(Attempt, pk=attempt_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput({"file": _("请选择考生的作答备份文件。")})
        if upload.size > backups.MAX_FILE_BYTES:
            raise InvalidInput({"file": _("文件过大（最大 5 MB），这不是作答备份文件。")})
        counts = backups.backup_import(attempt_id=attempt_id, raw=upload.read(), actor=request.user,
                                       now=timezone.now())
        return Response(counts)
