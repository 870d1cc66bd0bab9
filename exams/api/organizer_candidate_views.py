"""The organizer REST API for people: candidates and their registrations (seats in sessions).

Access, errors and the base view set: ``organizer_base``.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from candidates import idnumbers
from candidates.models import Candidate, Registration
from candidates.services import candidate_upsert
from exams.api import organizer_candidate_serializers as c
from exams.api.organizer_base import ERRORS, TAG, OrganizerViewSet, error_paths, validated
from exams.exceptions import InvalidInput
from exams.services.registrations import (
    MAX_ROWS,
    registration_create,
    registrations_bulk_create,
    registrations_bulk_errors,
)

# --- candidates --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List candidates",
        parameters=[
            OpenApiParameter("id_number", OpenApiTypes.STR, description="exact ID number (any case)"),
            OpenApiParameter("name", OpenApiTypes.STR, description="name contains"),
        ],
        responses={200: c.CandidateSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One candidate", responses={200: c.CandidateSerializer, **ERRORS}
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Create a candidate (or update the one with this ID number)",
        request=c.CandidateInSerializer,
        responses={201: c.CandidateSerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Change a candidate's name, document type or phone",
        description="The ID number identifies the candidate and cannot change.",
        request=c.CandidateInSerializer,
        responses={200: c.CandidateSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change some of a candidate's fields",
        request=c.CandidateInSerializer(partial=True),
        responses={200: c.CandidateSerializer, **ERRORS},
    ),
)
class CandidateViewSet(OrganizerViewSet):
    queryset = Candidate.objects.order_by("id")
    serializer_class = c.CandidateSerializer

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        id_number = request.query_params.get("id_number")
        if id_number:
            queryset = queryset.filter(id_number=id_number.strip().upper())
        name = request.query_params.get("name")
        if name:
            queryset = queryset.filter(name__contains=name.strip())
        return self.paginated(queryset, c.CandidateSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(c.CandidateSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(c.CandidateInSerializer, request.data)
        candidate = candidate_upsert(**data)
        return Response(c.CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        candidate = self.get_object()
        data = validated(c.CandidateInSerializer, request.data, partial=partial)
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
        return Response(c.CandidateSerializer(candidate).data)

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
        responses={200: c.RegistrationSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One registration", responses={200: c.RegistrationSerializer, **ERRORS}
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Seat a candidate in a session (opens the attempt)",
        request=c.RegistrationInSerializer,
        responses={201: c.RegistrationSerializer, **ERRORS},
    ),
)
class RegistrationViewSet(OrganizerViewSet):
    queryset = Registration.objects.select_related("candidate", "attempt").order_by("session_id", "id")
    serializer_class = c.RegistrationSerializer
    extra_permissions = {"bulk": ("candidates.add_candidate", "candidates.change_candidate")}

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        for name in ("session", "candidate"):
            value = self.int_param(name)
            if value is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        return self.paginated(queryset, c.RegistrationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(c.RegistrationSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = validated(c.RegistrationInSerializer, request.data)
        registration = registration_create(**data, now=timezone.now())
        return Response(c.RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=[TAG],
        summary="Register many candidates at once (all or nothing)",
        description=(
            f"A list of rows (at most {MAX_ROWS}). Candidates are created or updated by ID number and "
            "seated in the session. If any row is bad nothing is saved, and `errors` names every "
            'problem by the row\'s index in the list: `{"[3].id_number": "..."}`.'
        ),
        request=c.RegistrationBulkRowSerializer(many=True),
        responses={201: c.RegistrationBulkResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        rows = request.data
        if not isinstance(rows, list):
            raise InvalidInput({"rows": _("请求内容必须是一个列表（[...]），每一行是一位考生的报名信息。")})
        if len(rows) > MAX_ROWS:
            raise InvalidInput({"rows": _("单次最多导入 %(max)d 行，请分批提交。") % {"max": MAX_ROWS}})
        serializer = c.RegistrationBulkRowSerializer(data=rows, many=True)
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
                "registrations": c.RegistrationSerializer(registrations, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


def _row_order(path: str) -> tuple[int, str]:
    if path.startswith("[") and "]" in path:
        index = path[1 : path.index("]")]
        if index.isdigit():
            return int(index), path
    return -1, path
