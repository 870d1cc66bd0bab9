"""What every organizer API view shares: staff only, each user's model permissions apply,
and bad input comes back as 400 ``{"code": "invalid", "detail", "errors"}`` with ``errors`` keyed
by field path (``ends_at``, ``questions[1].correct``, ``[3].id_number``).

Each operation checks access, validates its input serializer, calls one service and serializes
the result. The views: ``organizer_views`` (batches, sessions, papers),
``organizer_candidate_views`` (candidates, registrations); the paths: ``organizer_urls``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import DjangoModelPermissions, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from exams.api import organizer_serializers as s
from exams.exceptions import InvalidInput

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
