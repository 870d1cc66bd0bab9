"""The organizer REST API for what an exam is made of: batches, sessions, papers.

Access, errors and the base view set: ``organizer_base``.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from exams import rules
from exams.api import organizer_candidate_serializers as c
from exams.api import organizer_serializers as s
from exams.api.organizer_base import ERRORS, TAG, OrganizerViewSet, validated
from exams.models import ExamBatch, ExamSession, Paper, Question
from exams.selectors import sessions as selectors
from exams.services.batch_edit import batch_create, batch_update
from exams.services.papers import paper_create, paper_update
from exams.services.sessions import session_create, session_save

# --- batches -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List batches", responses={200: s.BatchSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(tags=[TAG], summary="One batch", responses={200: s.BatchSerializer, **ERRORS}),
    create=extend_schema(
        tags=[TAG],
        summary="Create a batch",
        request=s.BatchInSerializer,
        responses={201: s.BatchSerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Replace a batch's fields",
        request=s.BatchInSerializer,
        responses={200: s.BatchSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change some of a batch's fields",
        request=s.BatchInSerializer(partial=True),
        responses={200: s.BatchSerializer, **ERRORS},
    ),
)
class BatchViewSet(OrganizerViewSet):
    queryset = ExamBatch.objects.order_by("-created_at", "-id")
    serializer_class = s.BatchSerializer

    def get_queryset(self) -> QuerySet[ExamBatch]:
        return super().get_queryset().prefetch_related(*s.batch_prefetches())

    def list(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), s.BatchSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.BatchSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(s.BatchInSerializer, request.data)
        batch = batch_create(**data)
        return Response(s.BatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        batch = self.get_object()
        data = validated(s.BatchInSerializer, request.data, partial=partial)
        batch = batch_update(batch=batch, **data)
        return Response(s.BatchSerializer(batch).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


# --- sessions ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List sessions in start order",
        parameters=[
            OpenApiParameter("batch", OpenApiTypes.INT, description="only this batch's sessions"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=[k for k, _label in ExamSession.KINDS]),
        ],
        responses={200: s.SessionSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(tags=[TAG], summary="One session", responses={200: s.SessionSerializer, **ERRORS}),
    create=extend_schema(
        tags=[TAG],
        summary="Create a session",
        description=s.RULE_FIELDS_DOC + " A blank or missing password is generated (6 random digits).",
        request=s.SessionInSerializer,
        responses={201: s.SessionSerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Replace a session's fields",
        description=(
            "Attempts' deadlines follow a changed end (extra time and re-admissions kept) and every open "
            "page is told at once. A blank password generates a new one. A session nobody could sit is "
            "refused, at the rule's field."
        ),
        request=s.SessionInSerializer,
        responses={200: s.SessionSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change some of a session's fields",
        description=(
            "Attempts' deadlines follow a changed end (extra time and re-admissions kept) and every open "
            "page is told at once. A blank password generates a new one. A session nobody could sit is "
            "refused, at the rule's field."
        ),
        request=s.SessionInSerializer(partial=True),
        responses={200: s.SessionSerializer, **ERRORS},
    ),
)
class SessionViewSet(OrganizerViewSet):
    queryset = ExamSession.objects.select_related("batch").order_by("starts_at", "id")
    serializer_class = s.SessionSerializer
    extra_permissions = {
        "attempts": ("exams.view_attempt",),
    }

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        batch_id = self.int_param("batch")
        if batch_id is not None:
            queryset = queryset.filter(batch_id=batch_id)
        kind = request.query_params.get("kind")
        if kind:
            queryset = queryset.filter(kind=kind)
        return self.paginated(queryset, s.SessionSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.SessionSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(s.SessionInSerializer, request.data)
        now = timezone.now()
        session = session_create(
            batch=data.pop("batch"),
            kind=data.pop("kind"),
            name=data.pop("name").strip(),
            starts_at=data.pop("starts_at"),
            ends_at=data.pop("ends_at"),
            paper=data.pop("paper", None),
            password=data.pop("password", None),
            subject=data.pop("subject", ""),
            now=now,
            **data,  # the rule fields given; the kind's defaults fill the rest
        )
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        session = self.get_object()
        now = timezone.now()
        with transaction.atomic():
            session = ExamSession.objects.select_for_update().select_related("batch").get(pk=session.pk)
            data = validated(s.SessionInSerializer, request.data, instance=session, partial=partial)
            default_publication = rules.password_published_at(
                rules.SessionRules(kind=session.kind, starts_at=session.starts_at, ends_at=session.ends_at)
            )
            moved = "starts_at" in data and data["starts_at"] != session.starts_at
            for name, value in data.items():
                setattr(session, name, value)
            if (
                moved
                and "password_published_at" not in data
                and session.password_published_at == default_publication
            ):
                # It was the default (one week ahead): it moves with the start.
                session.password_published_at = None
            session = session_save(session=session, now=now)
        return Response(s.SessionSerializer(session).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(
        tags=[TAG],
        summary="The attempts of a session (live view of states)",
        parameters=[OpenApiParameter("state", OpenApiTypes.STR, description="only attempts in this state")],
        responses={200: c.AttemptRowSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def attempts(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        queryset = selectors.session_attempts(session=session)
        state = request.query_params.get("state")
        if state:
            queryset = queryset.filter(state=state)
        return self.paginated(queryset, c.AttemptRowSerializer)


# --- papers ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List papers with their questions",
        parameters=[OpenApiParameter("batch", OpenApiTypes.INT)],
        responses={200: s.PaperSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(tags=[TAG], summary="One paper", responses={200: s.PaperSerializer, **ERRORS}),
    create=extend_schema(
        tags=[TAG],
        summary="Create a paper with its questions",
        description="Every question is checked; one unusable question refuses the whole paper.",
        request=s.PaperInSerializer,
        responses={201: s.PaperSerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Replace a paper and its questions",
        description="Refused once a candidate answered or a session using the paper opened login.",
        request=s.PaperInSerializer,
        responses={200: s.PaperSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change a paper; questions, when given, replace all questions",
        request=s.PaperInSerializer(partial=True),
        responses={200: s.PaperSerializer, **ERRORS},
    ),
)
class PaperViewSet(OrganizerViewSet):
    queryset = Paper.objects.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position", "id"))
    ).order_by("id")
    serializer_class = s.PaperSerializer

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        batch_id = self.int_param("batch")
        if batch_id is not None:
            queryset = queryset.filter(batch_id=batch_id)
        return self.paginated(queryset, s.PaperSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.PaperSerializer(self.get_object()).data)

    def _fresh(self, paper: Paper) -> Paper:
        return self.get_queryset().get(pk=paper.pk)

    def create(self, request: Request) -> Response:
        data = validated(s.PaperInSerializer, request.data)
        paper = paper_create(
            batch=data.get("batch"),
            name=data["name"],
            subject=data.get("subject", ""),
            questions=data["questions"],
            now=timezone.now(),
        )
        return Response(s.PaperSerializer(self._fresh(paper)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        paper = self.get_object()
        data = validated(s.PaperInSerializer, request.data, partial=partial)
        paper = paper_update(paper=paper, now=timezone.now(), **data)
        return Response(s.PaperSerializer(self._fresh(paper)).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)
