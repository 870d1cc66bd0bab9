"""The candidate API: the pages use it; benchmarks and integration tests drive it.

Each view reads the clock once, calls one service, and returns JSON. Refusals are
DomainErrors turned into ``{"code", "detail"}`` by examsite.errors.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from candidates.services import registration_record_device_check
from exams import live, presence
from exams.api.candidate_auth import (
    SESSION_ATTEMPT,
    SESSION_CLIENT,
    SESSION_LOGIN_NOTICE,
    CandidateSessionAuthentication,
    CsrfOnly,
    IsCandidate,
)
from exams.exceptions import InvalidAnswer, Superseded
from exams.selectors import attempts as selectors
from exams.services import answering, journey, login_throttle
from examsite.client_ip import client_address
from examsite.exceptions import DomainError, InvalidInput

ERROR = inline_serializer("Error", {"code": serializers.CharField(), "detail": serializers.CharField()})


class PasswordIn(serializers.Serializer):
    password = serializers.CharField(max_length=32)


class LoginIn(serializers.Serializer):
    password = serializers.CharField(max_length=32)
    id_number = serializers.CharField(max_length=64)
    admission_ticket = serializers.CharField(
        max_length=64, required=False, help_text="required when session.needs_admission_ticket"
    )


class EntryIn(PasswordIn):
    pass


class AnswerEntry(serializers.Serializer):
    question = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)
    seq = serializers.IntegerField()


class AnswersIn(serializers.Serializer):
    entries = AnswerEntry(many=True)
    current_question = serializers.IntegerField(required=False, allow_null=True)


def json_body(request, required: tuple[str, ...]) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise InvalidInput({"body": "expected a JSON object"})
    missing = [name for name in required if name not in data]
    if missing:
        raise InvalidInput({name: "required" for name in missing})
    return data


class AnonymousCandidateView(APIView):
    authentication_classes = [CsrfOnly]
    permission_classes = [AllowAny]


class CandidateView(APIView):
    authentication_classes = [CandidateSessionAuthentication]
    permission_classes = [IsCandidate]

    def check_client(self, request, attempt) -> None:
        if attempt.client_id and attempt.is_superseded_for(request.user.client_id):
            raise Superseded()


@method_decorator(ensure_csrf_cookie, name="get")
class CsrfView(AnonymousCandidateView):
    """Sets the ``csrftoken`` cookie for clients that did not load a page first."""

    @extend_schema(responses={200: inline_serializer("Csrf", {"csrftoken": serializers.CharField()})})
    def get(self, request):
        from django.middleware.csrf import get_token

        return Response({"csrftoken": get_token(request._request)})


class EntryView(AnonymousCandidateView):
    @extend_schema(request=EntryIn, responses={200: OpenApiResponse(description="session"), 404: ERROR})
    def post(self, request):
        data = json_body(request, ("password",))
        login_throttle.entry_guard(request=request)
        now = timezone.now()
        session = journey.session_for_password(password=data["password"], now=now)
        return Response({"session": selectors.session_summary(session)})


class LoginView(AnonymousCandidateView):
    @extend_schema(request=LoginIn, responses={200: OpenApiResponse(description="attempt"), 403: ERROR})
    def post(self, request):
        data = json_body(request, ("password", "id_number"))
        guard = login_throttle.login_guard(
            request=request, password=data["password"], id_number=data["id_number"]
        )
        now = timezone.now()
        try:
            result = journey.candidate_login(
                password=data["password"], id_number=data["id_number"], now=now,
                admission_ticket=data.get("admission_ticket"),
                address=client_address(request) or "",
                user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:300],
                page_is_live=presence.page_is_live,
            )
        except DomainError as refusal:
            login_throttle.login_failed(guard=guard, code=refusal.code)
            raise
        django_session = request._request.session
        django_session.cycle_key()  # a fresh session id at every login
        django_session[SESSION_ATTEMPT] = result.attempt.id
        django_session[SESSION_CLIENT] = result.client_id
        # The attempt as the login left it, its session, registration and candidate joined.
        summary = selectors.attempt_summary(attempt=result.attempt, now=now)
        if result.counted_as_leave:
            django_session[SESSION_LOGIN_NOTICE] = {
                "leaves_used": summary["leaves_used"], "leaves_max": summary["leaves_max"],
            }
        return Response({
            "attempt": summary,
            # What the page tells the candidate about this login (SPEC.md journey step 9).
            "login": {
                "first": result.first_login,
                "counted_as_leave": result.counted_as_leave,
                "relogin_elsewhere": result.relogin_elsewhere,
            },
        })


class LogoutView(CandidateView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        request._request.session.flush()
        # This page's sockets close too; a newer login's sockets carry another client id.
        live.send_on_commit(
            live.attempt_group(request.user.attempt_id),
            {"type": "attempt.logout", "client_id": request.user.client_id},
        )
        return Response(status=204)


class AttemptView(CandidateView):
    @extend_schema(responses={200: OpenApiResponse(description="attempt with questions and answers")})
    def get(self, request):
        now = timezone.now()
        attempt = selectors.attempt_for_candidate(attempt_id=request.user.attempt_id)
        self.check_client(request, attempt)
        return Response(selectors.attempt_detail(attempt=attempt, now=now))


class AnswersView(CandidateView):
    @extend_schema(
        request=AnswersIn,
        responses={200: inline_serializer("Acked", {"acked_seq": serializers.IntegerField()}), 409: ERROR},
    )
    def post(self, request):
        data = json_body(request, ("entries",))
        current = data.get("current_question")
        if not isinstance(data["entries"], list):
            raise InvalidAnswer("entries must be a list")
        acked = answering.answers_save(
            attempt_id=request.user.attempt_id,
            client_id=request.user.client_id,
            entries=data["entries"],
            now=timezone.now(),
            current_question=current if isinstance(current, int) else None,
        )
        return Response({"acked_seq": acked})


class StartView(CandidateView):
    @extend_schema(request=None, responses={200: OpenApiResponse(description="state")})
    def post(self, request):
        now = timezone.now()
        attempt = answering.attempt_start(
            attempt_id=request.user.attempt_id, client_id=request.user.client_id, now=now
        )
        return Response({"state": attempt.state})


class SubmitView(CandidateView):
    @extend_schema(request=None, responses={200: inline_serializer(
        "Submitted", {"state": serializers.CharField(), "receipt": serializers.CharField()}), 409: ERROR})
    def post(self, request):
        attempt = answering.attempt_submit(
            attempt_id=request.user.attempt_id, client_id=request.user.client_id, now=timezone.now()
        )
        return Response({"state": attempt.state, "receipt": attempt.receipt})


class DeviceCheckView(CandidateView):
    @extend_schema(request=inline_serializer("DeviceCheckIn", {"result": serializers.DictField()}),
                   responses={200: OpenApiResponse(description="recorded")})
    def post(self, request):
        data = json_body(request, ("result",))
        registration = registration_record_device_check(
            attempt_id=request.user.attempt_id, result=data["result"], now=timezone.now()
        )
        return Response({"device_check": registration.device_check})
