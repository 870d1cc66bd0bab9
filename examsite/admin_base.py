"""The organizer console's common ground: one clock reading per request, and a service's
refusal at save time shown as a message instead of a half-saved object.

Every app's admin uses it; it knows no app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext

from examsite.exceptions import InvalidInput


def request_now(request) -> datetime:
    """One clock reading per request: the forms, inlines and services of a save share it."""
    now = getattr(request, "_exam_now", None)
    if now is None:
        now = request._exam_now = timezone.now()
    return now


def describe_errors(model, errors: dict[str, Any]) -> str:
    """``{"password": "..."}`` as 考试口令：..., for a message shown outside a form."""
    names = {}
    for f in model._meta.get_fields():
        if hasattr(f, "verbose_name"):
            names[f.name] = str(f.verbose_name)
        elif f.related_model is not None:  # a reverse relation: "questions" -> 试题
            names[f.name] = str(f.related_model._meta.verbose_name)
    parts = []
    for path, reason in errors.items():
        head = path.split(".")[0].split("[")[0]
        label = names.get(head, head) + path[len(head):]
        parts.append(f"{label}：{reason}")
    return "；".join(parts)


class ServiceRefusalMixin:
    """A service refusing at save time (a race the form could not see) rolls back and says why.

    The admin's save runs in one transaction; the refusal propagates out of it, so nothing
    is half-saved, and the organizer is sent back to the form with the reason.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InvalidInput as error:
            errors = error.errors
            detail = describe_errors(self.model, errors) if isinstance(errors, dict) else error.detail
            messages.error(request, gettext("未保存：%(detail)s") % {"detail": detail})
            return HttpResponseRedirect(request.get_full_path())
