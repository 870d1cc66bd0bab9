"""Creating and editing one batch's own fields (the API and admin path; files go through batches.py)."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from exams.exceptions import InvalidInput
from exams.models import ExamBatch
from exams.services.backups import batch_backup_key

EDITABLE = (
    "name", "slug", "time_zone", "notice", "evidence_retention_until", "login_requires_admission_ticket",
)


def batch_errors(*, batch: ExamBatch) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (batch.name or "").strip():
        errors["name"] = _("请填写批次名称。")
    try:
        validate_slug(batch.slug or "")
        if not batch.slug:
            raise ValidationError("empty")
    except ValidationError:
        errors["slug"] = _("网址标识只能包含字母、数字、连字符和下划线。")
    else:
        if ExamBatch.objects.filter(slug=batch.slug).exclude(pk=batch.pk).exists():
            errors["slug"] = _("网址标识 %(slug)s 已被另一个批次使用。") % {"slug": batch.slug}
    if batch.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = _("未知的时区：%(value)s。") % {"value": batch.time_zone}
    return errors


@transaction.atomic
def batch_create(
    *,
    name: str,
    slug: str,
    time_zone: str = "Asia/Shanghai",
    notice: str = "",
    evidence_retention_until: date | None = None,
    login_requires_admission_ticket: bool = False,
) -> ExamBatch:
    batch = ExamBatch(
        name=(name or "").strip(),
        slug=slug,
        time_zone=time_zone,
        notice=notice,
        evidence_retention_until=evidence_retention_until,
        login_requires_admission_ticket=login_requires_admission_ticket,
    )
    errors = batch_errors(batch=batch)
    if errors:
        raise InvalidInput(errors)
    batch.save()
    batch_backup_key(batch_id=batch.id)  # its key pair for emergency answer backups
    return batch


@transaction.atomic
def batch_update(*, batch: ExamBatch, **fields: Any) -> ExamBatch:
    """Change the given fields (names in ``EDITABLE``) of a batch."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    batch = ExamBatch.objects.select_for_update().get(pk=batch.pk)
    for name, value in fields.items():
        setattr(batch, name, value.strip() if name == "name" and isinstance(value, str) else value)
    errors = batch_errors(batch=batch)
    if errors:
        raise InvalidInput(errors)
    batch.save()
    return batch
