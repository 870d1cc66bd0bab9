"""The organizer REST API: staff only, and each user's model permissions apply.

Each operation checks access, validates its input serializer, calls one service and
serializes the result. Bad input comes back as 400 ``{"code": "invalid", "detail", "errors"}``
with ``errors`` keyed by field path (``ends_at``, ``questions[1].correct``, ``[3].id_number``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from candidates import idnumbers
from candidates.models import Candidate, Registration
from candidates.services import candidate_upsert
from exams import rules
from exams.api import organizer_serializers as s
from exams.exceptions import InvalidInput
from exams.models import ExamBatch, ExamSession, Paper, Question
from exams.selectors import sessions as selectors
from exams.services.batch_edit import batch_create, batch_update
from exams.services.papers import paper_create, paper_update
from exams.services.registrations import (
    MAX_ROWS,
    registration_create,
    registrations_bulk_create,
    registrations_bulk_errors,
)
from exams.services.sessions import session_create, session_save

TAG = "organizer"
ERRORS = {code: s.OrganizerErrorSerializer for code in (400, 401, 403, 404)}


# --- access ------------------------------------------------------------------------------


class OrganizerModelPermissions(DjangoModelPermissions):
    """Django model permissions, reads included (``view_<model>``), plus per-action extras.

    A view may name further permissions an action needs in ``extra_permissions``
    (e.g. the results of a session also need ``candidates.view_candidate``).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        extra = getattr(view, "extra_permissions", {}).get(getattr(view, "action", None), ())
        return request.user.has_perms(extra)


class OrganizerViewSet(viewsets.GenericViewSet):
    # Staff (is_staff) first: candidates and other anonymous callers stop here with not_logged_in.
    permission_classes = [IsAdminUser, OrganizerModelPermissions]
    extra_permissions: dict[str, tuple[str, ...]] = {}

    def int_param(self, name: str) -> int | None:
        raw = self.request.query_params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput({name: _("必须是整数编号。")}) from None

    def paginated(self, queryset: QuerySet, serializer_class: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(serializer_class(page, many=True).data)
        return Response(serializer_class(queryset, many=True).data)


def error_paths(errors: Any, prefix: str = "") -> dict[str, str]:
    """DRF's nested error structure as flat paths: ``questions[1].correct``, ``[3].id_number``."""
    out: dict[str, str] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors" and prefix:
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(error_paths(value, path))
    elif isinstance(errors, list):
        if all(isinstance(e, str) for e in errors):
            out[prefix or "non_field_errors"] = " ".join(str(e) for e in errors)
        else:
            for i, item in enumerate(errors):
                if item:
                    out.update(error_paths(item, f"{prefix}[{i}]"))
    else:
        out[prefix or "non_field_errors"] = str(errors)
    return out


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """The input serializer's data, or InvalidInput naming each bad field."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise InvalidInput(error_paths(serializer.errors))
    return dict(serializer.validated_data)


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
        "results": ("exams.view_attempt", "candidates.view_registration", "candidates.view_candidate"),
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
        responses={200: s.AttemptRowSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def attempts(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        queryset = selectors.session_attempts(session=session)
        state = request.query_params.get("state")
        if state:
            queryset = queryset.filter(state=state)
        return self.paginated(queryset, s.AttemptRowSerializer)

    @extend_schema(
        tags=[TAG],
        summary="Results of a session, one row per registration",
        responses={200: s.ResultRowSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        return self.paginated(selectors.session_results(session=session), s.ResultRowSerializer)


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


# --- candidates --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List candidates",
        parameters=[
            OpenApiParameter("id_number", OpenApiTypes.STR, description="exact ID number (any case)"),
            OpenApiParameter("name", OpenApiTypes.STR, description="name contains"),
        ],
        responses={200: s.CandidateSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One candidate", responses={200: s.CandidateSerializer, **ERRORS}
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Create a candidate (or update the one with this ID number)",
        request=s.CandidateInSerializer,
        responses={201: s.CandidateSerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Change a candidate's name, document type or phone",
        description="The ID number identifies the candidate and cannot change.",
        request=s.CandidateInSerializer,
        responses={200: s.CandidateSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change some of a candidate's fields",
        request=s.CandidateInSerializer(partial=True),
        responses={200: s.CandidateSerializer, **ERRORS},
    ),
)
class CandidateViewSet(OrganizerViewSet):
    queryset = Candidate.objects.order_by("id")
    serializer_class = s.CandidateSerializer

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        id_number = request.query_params.get("id_number")
        if id_number:
            queryset = queryset.filter(id_number=id_number.strip().upper())
        name = request.query_params.get("name")
        if name:
            queryset = queryset.filter(name__contains=name.strip())
        return self.paginated(queryset, s.CandidateSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.CandidateSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(s.CandidateInSerializer, request.data)
        candidate = candidate_upsert(**data)
        return Response(s.CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        candidate = self.get_object()
        data = validated(s.CandidateInSerializer, request.data, partial=partial)
        document_type = data.get("document_type", candidate.document_type)
        if "id_number" in data:
            try:
                same = idnumbers.normalize(data["id_number"], document_type) == candidate.id_number
            except idnumbers.InvalidIdNumber as error:
                raise InvalidInput({"id_number": error.message}) from None
            if not same:
                raise InvalidInput({"id_number": _("证件号不能修改；如证件号有误，请新建考生并重新报名。")})
        candidate = candidate_upsert(
            name=data.get("name", candidate.name),
            id_number=candidate.id_number,
            document_type=document_type,
            phone=data.get("phone", candidate.phone),
        )
        return Response(s.CandidateSerializer(candidate).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


# --- registrations -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List registrations",
        parameters=[
            OpenApiParameter("session", OpenApiTypes.INT),
            OpenApiParameter("candidate", OpenApiTypes.INT),
        ],
        responses={200: s.RegistrationSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One registration", responses={200: s.RegistrationSerializer, **ERRORS}
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Seat a candidate in a session (opens the attempt)",
        request=s.RegistrationInSerializer,
        responses={201: s.RegistrationSerializer, **ERRORS},
    ),
)
class RegistrationViewSet(OrganizerViewSet):
    queryset = Registration.objects.select_related("candidate", "attempt").order_by("session_id", "id")
    serializer_class = s.RegistrationSerializer
    extra_permissions = {"bulk": ("candidates.add_candidate", "candidates.change_candidate")}

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        for name in ("session", "candidate"):
            value = self.int_param(name)
            if value is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        return self.paginated(queryset, s.RegistrationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.RegistrationSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(s.RegistrationInSerializer, request.data)
        registration = registration_create(**data, now=timezone.now())
        return Response(s.RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=[TAG],
        summary="Register many candidates at once (all or nothing)",
        description=(
            f"A list of rows (at most {MAX_ROWS}). Candidates are created or updated by ID number and "
            "seated in the session. If any row is bad nothing is saved, and `errors` names every "
            'problem by the row\'s index in the list: `{"[3].id_number": "..."}`.'
        ),
        request=s.RegistrationBulkRowSerializer(many=True),
        responses={201: s.RegistrationBulkResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        rows = request.data
        if not isinstance(rows, list):
            raise InvalidInput({"rows": _("请求内容必须是一个列表（[...]），每一行是一位考生的报名信息。")})
        if len(rows) > MAX_ROWS:
            raise InvalidInput({"rows": _("单次最多导入 %(max)d 行，请分批提交。") % {"max": MAX_ROWS}})
        serializer = s.RegistrationBulkRowSerializer(data=rows, many=True)
        if not serializer.is_valid():
            # Type errors first, then every rule the service would refuse: all problems at once.
            errors = error_paths(serializer.errors)
            for path, reason in registrations_bulk_errors(rows=rows)[0].items():
                if not any(path == known or path.startswith(f"{known}.") for known in errors):
                    errors.setdefault(path, reason)
            raise InvalidInput(dict(sorted(errors.items(), key=lambda item: _row_order(item[0]))))
        registrations = registrations_bulk_create(rows=serializer.validated_data, now=timezone.now())
        return Response(
            {
                "count": len(registrations),
                "registrations": s.RegistrationSerializer(registrations, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


def _row_order(path: str) -> tuple[int, str]:
    if path.startswith("[") and "]" in path:
        index = path[1 : path.index("]")]
        if index.isdigit():
            return int(index), path
    return -1, path
