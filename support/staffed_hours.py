"""Staffed support hours of a batch, as the batch definition file carries them (``support_hours``).

exams reads the file; this is the section support registers with it (``SupportConfig.ready``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from exams.models import ExamBatch
from exams.services.batch_fields import Errors, read_datetime, read_items, unknown_keys
from exams.services.batch_sections import BatchSection
from support.models import StaffedPeriod


def support_hours_read(value: Any, path: str, errors: Errors) -> list[tuple[datetime, datetime]]:
    periods = []
    for item_path, item in read_items(value, path, errors):
        unknown_keys(item, {"starts_at", "ends_at"}, item_path, errors)
        starts_at = read_datetime(item.get("starts_at"), f"{item_path}.starts_at", errors)
        ends_at = read_datetime(item.get("ends_at"), f"{item_path}.ends_at", errors)
        if starts_at and ends_at:
            if ends_at <= starts_at:
                errors.add(f"{item_path}.ends_at", _("结束时间必须晚于开始时间。"))
            else:
                periods.append((starts_at, ends_at))
    return periods


def support_hours_write(batch: ExamBatch, periods: list[tuple[datetime, datetime]]) -> None:
    # Staffed hours are plain data of the batch: the file's list replaces them.
    StaffedPeriod.objects.filter(batch=batch).delete()
    StaffedPeriod.objects.bulk_create(
        StaffedPeriod(batch=batch, starts_at=starts_at, ends_at=ends_at) for starts_at, ends_at in periods
    )


SUPPORT_HOURS = BatchSection(key="support_hours", read=support_hours_read, write=support_hours_write)
