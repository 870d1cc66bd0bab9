"""Support reads shown on exams' pages: the staffed hours on a batch's notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from exams.models import ExamBatch
from exams.selectors.notice import notice_clock, notice_day, notice_window


@dataclass(frozen=True)
class NoticeSupportPeriod:
    text: str



def notice_support_hours(*, batch: ExamBatch) -> list[NoticeSupportPeriod]:
    """Staffed support hours; consecutive days with the same hours are merged.

    25 and 26 Jul, 09:00-18:00 each: 7月25日—7月26日，每日 09:00-18:00.
    """
    tz = batch.tz
    periods = [
        (p.starts_at.astimezone(tz), p.ends_at.astimezone(tz))
        for p in batch.staffed_periods.all().order_by("starts_at")
    ]
    runs: list[list[tuple[datetime, datetime]]] = []
    for start, end in periods:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and start.date() == end.date()
            and last[0].date() == last[1].date()
            and start.date() == last[0].date() + timedelta(days=1)
            and (start.time(), end.time()) == (last[0].time(), last[1].time())
        ):
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
    out = []
    for run in runs:
        first_start, first_end = run[0]
        if len(run) == 1:
            text = notice_window(first_start, first_end, tz)
        else:
            text = _("%(first)s—%(last)s，每日 %(start)s-%(end)s") % {
                "first": notice_day(first_start),
                "last": notice_day(run[-1][0]),
                "start": notice_clock(first_start),
                "end": notice_clock(first_end),
            }
        out.append(NoticeSupportPeriod(text=text))
    return out
