"""Reads for the public notice of a batch: its task table and its rules.

The staffed support hours on the same page come from ``support`` (``notice_support_hours``).

Selectors never write. Times come back aware; the notice shows them in the batch's time zone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _

from exams import rules
from exams.models import ExamBatch, ExamSession

# --- notice formatting ---------------------------------------------------------------


def notice_day(moment: datetime) -> str:
    """A local date the way the notice writes it: 7月25日."""
    return _("%(month)d月%(day)d日") % {"month": moment.month, "day": moment.day}


def notice_clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def notice_moment(moment: datetime, tz: zoneinfo.ZoneInfo) -> str:
    """7月23日 09:00, in ``tz``."""
    local = moment.astimezone(tz)
    return f"{notice_day(local)} {notice_clock(local)}"


def notice_window(starts_at: datetime, ends_at: datetime, tz: zoneinfo.ZoneInfo) -> str:
    """The notice's two styles: 7月25日 09:00 — 7月26日 18:00, or same day 7月29日 15:00-16:00."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{notice_day(start)} {notice_clock(start)}-{notice_clock(end)}"
    return f"{notice_day(start)} {notice_clock(start)} — {notice_day(end)} {notice_clock(end)}"


def notice_gate(gate: time) -> str:
    """The exam-day gate as the notice writes it: 8:00 (no leading zero)."""
    return f"{gate.hour}:{gate.minute:02d}"


def _minutes(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds() // 60)


# --- notice rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """One line of the task table (任务名称 / 时间安排 / 考试口令)."""

    session_id: int
    name: str
    kind: str
    window: str
    # None until the password is published; then the six digits.
    password: str | None
    # When a hidden password will appear, in the notice's style.
    published_at_text: str
    # True when publication is the default one week ahead of the start (考前一周公布).
    published_week_before: bool


@dataclass(frozen=True)
class NoticeRules:
    """The rules of one or more sessions that share them, as numbers for the template."""

    session_names: tuple[str, ...]
    kind: str
    login_opens_minutes: int
    late_after_minutes: int | None
    min_answer_minutes: int | None
    exam_day_gate: str | None
    max_screen_leaves: int | None
    lock_screen: bool
    requires_scratch_paper: bool


def notice_batch(*, slug: str) -> ExamBatch | None:
    return ExamBatch.objects.filter(slug=slug).first()


def _batch_sessions(batch: ExamBatch) -> list[ExamSession]:
    # Through the reverse manager, so session.batch is this instance (no query per row).
    return list(batch.sessions.all().order_by("starts_at", "id"))


def notice_rows(*, batch: ExamBatch, now: datetime) -> list[NoticeRow]:
    """The task table of the batch's public notice, in start order.

    A password is included only once ``exams.rules.is_password_published`` says so; a formal
    password never leaves the server before its publication instant.
    """
    tz = batch.tz
    rows = []
    for session in _batch_sessions(batch):
        session_rules = session.rules()
        published = rules.is_password_published(session_rules, now)
        publish_at = rules.password_published_at(session_rules)
        rows.append(
            NoticeRow(
                session_id=session.pk,
                name=session.name,
                kind=session.kind,
                window=notice_window(session.starts_at, session.ends_at, tz),
                password=session.password if published else None,
                published_at_text="" if publish_at is None else notice_moment(publish_at, tz),
                published_week_before=(
                    publish_at is not None and publish_at == session.starts_at - rules.PASSWORD_PUBLISH_BEFORE
                ),
            )
        )
    return rows


def notice_rules(*, batch: ExamBatch) -> list[NoticeRules]:
    """The rules from the session fields; sessions with identical rules share one entry."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for session in _batch_sessions(batch):
        is_formal = session.kind == ExamSession.FORMAL
        min_answer = _minutes(session.min_answer_time)
        key = (
            session.kind,
            _minutes(session.login_opens_before),
            _minutes(session.late_after),
            min_answer or None,
            notice_gate(session.exam_day_gate) if is_formal and session.exam_day_gate else None,
            session.max_screen_leaves if session.lock_screen else None,
            session.lock_screen,
            session.requires_scratch_paper,
        )
        groups.setdefault(key, []).append(session.name)
    return [
        NoticeRules(
            session_names=tuple(names),
            kind=kind,
            login_opens_minutes=login,
            late_after_minutes=late,
            min_answer_minutes=min_answer,
            exam_day_gate=gate,
            max_screen_leaves=leaves,
            lock_screen=lock,
            requires_scratch_paper=scratch,
        )
        for (kind, login, late, min_answer, gate, leaves, lock, scratch), names in groups.items()
    ]
