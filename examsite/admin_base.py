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


# --- labelled fields and the batch's time zone ----------------------------------------------


def label_fields(form, *, zone_name: str = "") -> None:
    """Every input names itself (``aria-label``): a tabular inline's cells have no <label>, and a
    date-and-time field is two inputs behind one label. Date-and-time fields name their zone."""
    from django import forms
    from django.contrib.admin.widgets import RelatedFieldWidgetWrapper

    for name, field in form.fields.items():
        label = str(field.label or name)
        widget = field.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(field, (forms.DateTimeField, forms.SplitDateTimeField)) and zone_name:
            zone = gettext("时区 %(zone)s") % {"zone": zone_name}
            field.help_text = f"{field.help_text} （{zone}）" if field.help_text else f"（{zone}）"
        if isinstance(widget, forms.MultiWidget):
            parts = (gettext("%(label)s（日期）"), gettext("%(label)s（时间）"))
            for index, sub in enumerate(widget.widgets):
                part = parts[index] if index < len(parts) else "%(label)s"
                sub.attrs["aria-label"] = part % {"label": label}
        else:
            widget.attrs.setdefault("aria-label", label)


def labelled_form(form_class, *, zone_name: str = ""):
    """``form_class`` whose instances label their inputs (``label_fields``)."""

    class Labelled(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            label_fields(self, zone_name=zone_name)

    Labelled.__name__ = form_class.__name__
    Labelled.__qualname__ = form_class.__qualname__
    return Labelled


ZONE_ATTRIBUTE = "_exam_admin_zone"


def request_zone_name(request) -> str:
    return getattr(request, ZONE_ATTRIBUTE, "")


class LabelledFormMixin:
    """A ModelAdmin whose form labels every input (axe: no unlabelled field)."""

    def get_form(self, request, obj=None, *args, **kwargs):
        form = super().get_form(request, obj, *args, **kwargs)
        return labelled_form(form, zone_name=request_zone_name(request))


class LabelledInlineMixin:
    """An inline whose rows label every input (a tabular inline's cells have no <label>)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        zone_name = request_zone_name(request)

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)  # the formset's own fields too (DELETE)
                label_fields(form, zone_name=zone_name)

        Labelled.__name__ = formset.__name__
        Labelled.__qualname__ = formset.__qualname__
        return Labelled


class ZoneChangeFormMixin:
    """The change form reads and writes its times in a time zone of the object's own (an exam
    batch's), named beside every date-and-time field: ``object_zone`` says which."""

    def object_zone(self, object_id) -> str | None:
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        from django.conf import settings

        name = self.object_zone(object_id) or settings.TIME_ZONE
        setattr(request, ZONE_ATTRIBUTE, name)
        with timezone.override(name):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # the fields show their values in the zone while it is active
        return response
