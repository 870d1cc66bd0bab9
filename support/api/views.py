"""The candidate side of support (/api/v1/support/): FAQ search and the candidate's own tickets.

Who the asker is comes from the Django session only: a logged-in candidate's attempt, or the
anonymous ticket tokens this browser was given (``support_tickets``). Anything else is 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.api.candidate_auth import CandidatePrincipal, CandidateSessionAuthentication, CsrfOnly
from exams.models import ExamBatch
from examsite.throttling import ClientAddressThrottle
from support import selectors
from support.selectors import MAX_OWNED_TOKENS
from support.services import candidate_tickets

SESSION_TOKENS = "support_tickets"
# Set once this browser has tickets, so the panel connects its socket without asking first.
SESSION_HAS_TICKETS = "support_has_tickets"
CLIENT_MAX_CHARS = 4096

ERROR = inline_serializer(
    "SupportError", {"code": serializers.CharField(), "detail": serializers.CharField()}
)


class SupportWriteThrottle(ClientAddressThrottle):
    """Anonymous writes per address; a logged-in candidate is already limited per attempt."""

    scope = "support_write"
    rate = "60/hour"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS") or isinstance(request.user, CandidatePrincipal):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _attempt_id(request) -> int | None:
    user = request.user
    return user.attempt_id if isinstance(user, CandidatePrincipal) else None


def _tokens(request) -> list[str]:
    tokens = request._request.session.get(SESSION_TOKENS) or []
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def _remember(request, token: str | None) -> None:
    session = request._request.session
    if token is not None:
        session[SESSION_TOKENS] = [*_tokens(request), token][-MAX_OWNED_TOKENS:]
    session[SESSION_HAS_TICKETS] = True


def _client(value: Any) -> Any:
    """Browser details arrive as an object (JSON) or a JSON string (multipart form)."""
    if isinstance(value, str):
        if len(value) > CLIENT_MAX_CHARS:
            return None
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class SupportView(APIView):
    authentication_classes = [CandidateSessionAuthentication, CsrfOnly]
    permission_classes = [AllowAny]
    throttle_classes = [SupportWriteThrottle]


class FaqView(SupportView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="what the candidate typed"),
            OpenApiParameter("batch", str, description="batch slug; default: the logged-in attempt's"),
        ],
        responses={200: OpenApiResponse(description="matching FAQ entries, best first")},
    )
    def get(self, request):
        slug = request.query_params.get("batch") or ""
        batch = selectors.batch_by_slug(slug) if slug else None
        if batch is None and not slug and _attempt_id(request) is not None:
            batch = ExamBatch.objects.filter(sessions__attempts__id=_attempt_id(request)).first()
        query = (request.query_params.get("q") or "")[:200]
        return Response({"query": query, "results": selectors.faq_search(batch=batch, query=query)})


class TicketsView(SupportView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={
            "application/json": inline_serializer("TicketIn", {
                "category": serializers.ChoiceField(choices=["login", "camera", "phone_monitor", "network",
                                                             "submission", "other"]),
                "text": serializers.CharField(),
                "contact": serializers.CharField(required=False),
                "id_number": serializers.CharField(required=False),
                "batch": serializers.CharField(required=False),
                "client": serializers.DictField(required=False),
            }),
            "multipart/form-data": inline_serializer("TicketForm", {
                "category": serializers.CharField(), "text": serializers.CharField(),
                "screenshot": serializers.ImageField(required=False),
            }),
        },
        responses={201: OpenApiResponse(description="the ticket"), 400: ERROR, 413: ERROR, 415: ERROR},
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        now = timezone.now()
        ticket = candidate_tickets.ticket_create(
            category=data.get("category", ""),
            text=data.get("text", ""),
            now=now,
            attempt_id=_attempt_id(request),
            batch_slug=data.get("batch", ""),
            contact=data.get("contact", ""),
            id_number=data.get("id_number", ""),
            client=_client(data.get("client")),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            screenshot=request.FILES.get("screenshot"),
            owner_tokens=_tokens(request),
        )
        _remember(request, None if _attempt_id(request) is not None else ticket.token)
        staffed = selectors.staffed_now(ticket.batch, now)
        return Response({"ticket": selectors.candidate_ticket(ticket), "staffed": staffed}, status=201)


class MyTicketsView(SupportView):
    @extend_schema(responses={200: OpenApiResponse(description="this browser's tickets, newest first")})
    def get(self, request):
        tickets = selectors.candidate_tickets(attempt_id=_attempt_id(request), tokens=_tokens(request))
        if tickets and not request._request.session.get(SESSION_HAS_TICKETS):
            _remember(request, None)
        return Response({"logged_in": _attempt_id(request) is not None, "tickets": tickets})


class TicketMessagesView(SupportView):
    @extend_schema(
        request=inline_serializer("TicketMessageIn", {"text": serializers.CharField()}),
        responses={201: OpenApiResponse(description="the ticket"), 404: ERROR},
    )
    def post(self, request, ticket_id: int):
        ticket = selectors.owner_ticket(
            ticket_id=ticket_id, attempt_id=_attempt_id(request), tokens=_tokens(request)
        )
        data = request.data if hasattr(request.data, "get") else {}
        ticket = candidate_tickets.ticket_add_candidate_message(
            ticket_id=ticket.id, text=data.get("text", ""), now=timezone.now()
        )
        return Response({"ticket": selectors.candidate_ticket(ticket)}, status=201)
