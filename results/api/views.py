"""Results APIs: blind marking and publication (organizer), the candidate's result, receipts.

Each view checks access, reads the clock once, calls one service or selector, serializes.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.api.candidate_auth import CandidatePrincipal, CandidateSessionAuthentication, CsrfOnly, IsCandidate
from exams.models import Attempt, ExamSession, Question
from exams.services import login_throttle
from examsite.exceptions import DomainError, InvalidInput
from results import exports, selectors
from results.exceptions import NoResult, UnknownReceipt
from results.services import appeals, marking, publication

ERROR = inline_serializer("ResultsError", {"code": serializers.CharField(), "detail": serializers.CharField()})
MARK_PERMISSION = "results.mark_answers"
PUBLISH_PERMISSION = "results.publish_results"
RESULTS_PERMISSIONS = (
    "results.view_markingtask", "exams.view_attempt", "candidates.view_registration", "candidates.view_candidate"
)


def has_perms(*perms: str) -> type[BasePermission]:
    class HasPerms(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return bool(request.user.has_perms(perms))

    return HasPerms


# --- marking -----------------------------------------------------------------------------


class MarkingNextOut(serializers.Serializer):
    answer_id = serializers.IntegerField()
    question = serializers.CharField(help_text="the question text")
    value = serializers.CharField(help_text="the candidate's answer (no identity)")
    max_points = serializers.CharField()
    rubric = serializers.CharField()


def marking_item(task: Any) -> dict[str, Any]:
    """What a marker sees of one answer: nothing that identifies the candidate. For free text the
    rubric ends with the accepted answers (the answer matched none of them)."""
    question = task.question
    rubric = question.rubric
    if question.kind == Question.FILL_IN and isinstance(question.correct, list):
        accepted = _("参考答案：%(answers)s") % {"answers": " / ".join(str(a) for a in question.correct)}
        rubric = f"{rubric}\n{accepted}" if rubric else accepted
    return {
        "answer_id": task.answer_id,
        "question": question.text,
        "value": task.answer.value,
        "max_points": str(question.points),
        "rubric": rubric,
    }


class MarkingNextView(APIView):
    permission_classes = [IsAdminUser, has_perms(MARK_PERMISSION)]

    @extend_schema(
        tags=["organizer"],
        parameters=[OpenApiParameter("question", OpenApiTypes.INT, required=True)],
        responses={200: MarkingNextOut, 204: OpenApiResponse(description="nothing left to mark"), 400: ERROR},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("question", "")
        if not raw.isdigit() or not Question.objects.filter(pk=int(raw), kind__in=marking.MARKED_KINDS).exists():
            raise InvalidInput({"question": _("请指定一道简答题或填空题的编号。")})
        task = marking.marking_next(question_id=int(raw), marker=request.user, now=timezone.now())
        if task is None:
            return Response(status=204)
        return Response(marking_item(task))


class MarkIn(serializers.Serializer):
    points = serializers.DecimalField(max_digits=6, decimal_places=1)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MarkOut(serializers.Serializer):
    answer_id = serializers.IntegerField()
    points = serializers.CharField()
    comment = serializers.CharField()


class MarkView(APIView):
    permission_classes = [IsAdminUser, has_perms(MARK_PERMISSION)]

    @extend_schema(tags=["organizer"], request=MarkIn, responses={200: MarkOut, 400: ERROR, 404: ERROR, 409: ERROR})
    def post(self, request: Request, answer_id: int) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        if "points" not in data:
            raise InvalidInput({"points": _("请填写给分。")})
        comment = data.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > 2000:
            raise InvalidInput({"comment": _("评语必须是文字，最多 2000 字。")})
        marking.mark_give(
            answer_id=answer_id, marker=request.user, points=data["points"], comment=comment, now=timezone.now()
        )
        return Response({"answer_id": answer_id, "points": str(data["points"]), "comment": comment})


# --- results and publication -------------------------------------------------------------


class ResultRowOut(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    registration = serializers.IntegerField(source="registration_id")
    subject = serializers.CharField()
    name = serializers.CharField()
    id_number = serializers.CharField()
    admission_ticket = serializers.CharField()
    state = serializers.CharField()
    objective_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    essays_marked = serializers.IntegerField()
    essays_waiting = serializers.IntegerField()
    marks = serializers.DecimalField(max_digits=8, decimal_places=2)
    total = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    decision = serializers.CharField()
    pending_void = serializers.BooleanField()
    receipt = serializers.CharField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    leaves_used = serializers.IntegerField()
    late_answers = serializers.IntegerField()


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """``?format=`` chooses the export here, not a DRF renderer: JSON answers everything else."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class SessionResultsView(APIView):
    permission_classes = [IsAdminUser, has_perms(*RESULTS_PERMISSIONS)]
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        tags=["organizer"],
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"], description="default json"),
            OpenApiParameter("limit", OpenApiTypes.INT), OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={200: ResultRowOut(many=True), 400: ERROR, 404: ERROR},
        description="One row per registration of the session. json is paginated (limit/offset); "
        "csv and xlsx stream the whole table, every text cell formula-escaped.",
    )
    def get(self, request: Request, pk: int) -> Any:
        session = get_object_or_404(ExamSession.objects.select_related("batch", "paper"), pk=pk)
        kind = request.query_params.get("format") or "json"
        if kind == "csv":
            return exports.results_csv_response(session=session)
        if kind == "xlsx":
            return exports.results_xlsx_response(session=session)
        if kind != "json":
            raise InvalidInput({"format": _("格式只能是 json、csv 或 xlsx。")})
        paginator = LimitOffsetPagination()
        attempts = paginator.paginate_queryset(selectors.session_attempts_for_results(session=session), request, self)
        figures = selectors.session_figures(session=session)
        rows = [selectors.result_row(attempt, figures) for attempt in attempts or []]
        return paginator.get_paginated_response(ResultRowOut(rows, many=True).data)


class PublishIn(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True)
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PublishOut(serializers.Serializer):
    session = serializers.IntegerField()
    publishes_at = serializers.DateTimeField()
    override_reason = serializers.CharField()
    missing = serializers.DictField(child=serializers.IntegerField())


class PublishView(APIView):
    permission_classes = [IsAdminUser, has_perms(PUBLISH_PERMISSION)]

    @extend_schema(tags=["organizer"], request=PublishIn, responses={200: PublishOut, 400: ERROR, 409: ERROR})
    def post(self, request: Request, pk: int) -> Response:
        session_id = get_object_or_404(ExamSession, pk=pk).pk
        data = PublishIn(data=request.data)
        if not data.is_valid():
            raise InvalidInput({k: [str(e) for e in v] for k, v in data.errors.items()})
        result = publication.results_publish(
            session_id=session_id, actor=request.user, now=timezone.now(),
            at=data.validated_data.get("at"), override_reason=data.validated_data.get("override_reason", ""),
        )
        return Response(
            {"session": session_id, "publishes_at": result.publishes_at, "override_reason": result.override_reason,
             "missing": result.missing}
        )


# --- candidates and the public -----------------------------------------------------------


class CandidateResultIn(serializers.Serializer):
    password = serializers.CharField(max_length=32)
    id_number = serializers.CharField(max_length=64)
    admission_ticket = serializers.CharField(max_length=40, required=False, allow_blank=True)


class CandidateResultOut(serializers.Serializer):
    published = serializers.BooleanField()
    publishes_at = serializers.DateTimeField(allow_null=True)
    score = serializers.CharField(allow_null=True)
    max_score = serializers.CharField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    decision = serializers.CharField(allow_null=True)
    receipt = serializers.CharField(allow_null=True)


class CandidateResultView(APIView):
    """POST: anyone with the session password and ID number (throttled like login).
    GET: the candidate still logged in to the attempt."""

    def get_authenticators(self) -> list[Any]:
        if self.request is not None and self.request.method == "GET":
            return [CandidateSessionAuthentication()]
        return [CsrfOnly()]

    def get_permissions(self) -> list[Any]:
        if self.request is not None and self.request.method == "GET":
            return [IsCandidate()]
        return [AllowAny()]

    @extend_schema(tags=["candidate"], responses={200: CandidateResultOut, 401: ERROR})
    def get(self, request: Request) -> Response:
        attempt = Attempt.objects.select_related("session__paper", "registration").get(pk=request.user.attempt_id)
        return Response(publication.result_for_attempt(attempt=attempt, now=timezone.now()).as_dict())

    @extend_schema(tags=["candidate"], request=CandidateResultIn, responses={200: CandidateResultOut, 404: ERROR})
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        missing = [name for name in ("password", "id_number") if not data.get(name)]
        if missing:
            raise InvalidInput({name: _("必填。") for name in missing})
        guard = login_throttle.login_guard(request=request, password=data["password"], id_number=data["id_number"])
        try:
            result = publication.candidate_result(
                password=data["password"], id_number=data["id_number"],
                admission_ticket=data.get("admission_ticket"), now=timezone.now(),
            )
        except DomainError as refusal:
            if isinstance(refusal, NoResult):
                login_throttle.login_failed(guard=guard, code="not_registered")
            raise
        return Response(result.as_dict())


class ReceiptOut(serializers.Serializer):
    valid = serializers.BooleanField()
    session = serializers.CharField()
    finished_at = serializers.DateTimeField()


class ReceiptView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["public"], responses={200: ReceiptOut, 404: ERROR, 429: ERROR})
    def get(self, request: Request, code: str) -> Response:
        login_throttle.entry_guard(request=request)
        attempt = selectors.receipt_lookup(code=code)
        if attempt is None:
            raise UnknownReceipt()
        return Response(
            {"valid": True, "session": attempt.session.name,
             "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None}
        )




# --- appeals -----------------------------------------------------------------------------


class AppealIn(serializers.Serializer):
    questions = serializers.ListField(child=serializers.IntegerField())
    reason = serializers.CharField(max_length=2000)
    password = serializers.CharField(required=False, help_text="when not logged in to the attempt")
    id_number = serializers.CharField(required=False, help_text="when not logged in to the attempt")
    admission_ticket = serializers.CharField(required=False)


class AppealOut(serializers.Serializer):
    appeal = serializers.IntegerField()
    status = serializers.CharField()
    questions = serializers.ListField(child=serializers.IntegerField())


class AppealView(APIView):
    """POST: a candidate logged in to the attempt, or one giving the session password and ID
    number (throttled like login), asks for a re-mark of named questions."""

    authentication_classes = [CandidateSessionAuthentication, CsrfOnly]
    permission_classes = [AllowAny]

    @extend_schema(tags=["candidate"], request=AppealIn, responses={201: AppealOut, 400: ERROR, 404: ERROR, 409: ERROR})
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        now = timezone.now()
        if isinstance(request.user, CandidatePrincipal):
            attempt = Attempt.objects.select_related("session").get(pk=request.user.attempt_id)
        else:
            if not data.get("password") or not data.get("id_number"):
                raise InvalidInput({name: _("必填。") for name in ("password", "id_number") if not data.get(name)})
            guard = login_throttle.login_guard(request=request, password=data["password"], id_number=data["id_number"])
            try:
                attempt = publication.attempt_for_credentials(
                    password=data["password"], id_number=data["id_number"],
                    admission_ticket=data.get("admission_ticket"),
                )
            except NoResult:
                login_throttle.login_failed(guard=guard, code="not_registered")
                raise
        appeal = appeals.appeal_create(
            attempt=attempt, questions=data.get("questions"), reason=data.get("reason"), now=now
        )
        return Response({"appeal": appeal.pk, "status": appeal.status, "questions": appeal.questions}, status=201)
