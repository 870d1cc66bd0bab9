"""Sessions and their passwords."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from exams import live, rules, statuses
from exams.exceptions import InvalidInput
from exams.models import Attempt, ExamBatch, ExamSession, Paper

RULE_FIELDS = (
    "login_opens_before",
    "late_after",
    "min_answer_time",
    "exam_day_gate",
    "max_screen_leaves",
    "lock_screen",
    "requires_login_photo",
    "requires_phone_monitor",
    "recording",
)


def session_kind_defaults(kind: str) -> dict[str, Any]:
    return dict(rules.KIND_DEFAULTS[kind])


def password_in_use(*, password: str, now: datetime, exclude_session_id: int | None = None) -> bool:
    """Passwords are unique among sessions whose window has not ended."""
    qs = ExamSession.objects.filter(password=password, ends_at__gt=now)
    if exclude_session_id is not None:
        qs = qs.exclude(pk=exclude_session_id)
    return qs.exists()


def password_generate(*, now: datetime, exclude_session_id: int | None = None) -> str:
    """Six cryptographically random digits, not used by any session still open."""
    for _attempt in range(100):
        candidate = f"{secrets.randbelow(1_000_000):06d}"
        if not password_in_use(password=candidate, now=now, exclude_session_id=exclude_session_id):
            return candidate
    raise RuntimeError("could not find a free session password")  # 10^6 space: not reached


def session_problem_messages(s: rules.SessionRules) -> dict[str, str]:
    """Why no candidate could sit this session (``rules.session_problems``), by model field,
    each saying how to fix it; empty when it can be sat. Used by the admin, the API and load_batch."""
    tz = zoneinfo.ZoneInfo(s.time_zone)
    messages: dict[str, str] = {}

    def clock(instant: datetime) -> str:
        return str(instant.astimezone(tz).strftime("%H:%M"))

    for field, problem in rules.session_problems(s).items():
        if problem == rules.MIN_ANSWER_NOT_SHORTER:
            length = int((s.ends_at - s.starts_at).total_seconds() // 60)
            messages[field] = _(
                "最小答题时长（%(min)d 分钟）不短于本场考试的时长（%(length)d 分钟），考生将无法交卷。"
                "请把最小答题时长改为少于 %(length)d 分钟（或留空），或延长考试时间。"
            ) % {"min": int((s.min_answer_time or timedelta(0)).total_seconds() // 60), "length": length}
        elif field == "exam_day_gate":
            cutoff = rules.late_cutoff(s)
            gate = rules.exam_day_gate_at(s) or s.starts_at
            messages[field] = _(
                "没有考生能够登录：考试当天 %(gate)s 前口令不可用，而 %(cutoff)s 起未登录的考生即视为迟到。"
                "请把开考时间推迟，使迟到截止晚于 %(gate)s；或把“考试当天开放登录时间”提前或留空。"
            ) % {"gate": clock(gate),
                 "cutoff": clock(cutoff if cutoff is not None else s.ends_at)}
        else:
            messages[field] = _(
                "没有考生能够登录：迟到截止（%(cutoff)s）不晚于开放登录时间（%(opens)s）。"
                "请加大“迟到截止（开考后）”或“提前登录时长”，或留空迟到截止。"
            ) % {"cutoff": clock(rules.first_login_window(s)[1]), "opens": clock(rules.first_login_window(s)[0])}
    return messages


def session_window_ended(*, session: ExamSession, now: datetime) -> bool:
    """The admin warns (does not refuse) when a new session's window has already ended."""
    return bool(session.ends_at) and session.ends_at <= now


def session_validate(
    *, session: ExamSession, now: datetime, exclude_session_id: int | None = None
) -> dict[str, str]:
    """Errors by field name, empty when the session can be saved."""
    errors: dict[str, str] = {}
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors["ends_at"] = _("结束时间必须晚于开考时间。")
    if session.kind not in rules.KIND_DEFAULTS:
        errors["kind"] = _("未知的场次类型。")
    elif session.starts_at and session.ends_at and session.ends_at > session.starts_at and session.batch_id:
        for field, message in session_problem_messages(session.rules()).items():
            errors.setdefault(field, message)
    pw = session.password or ""
    if len(pw) != 6 or not pw.isdigit():
        errors["password"] = _("考试口令必须是 6 位数字。")
    elif session.ends_at and session.ends_at > now and password_in_use(
        password=pw, now=now, exclude_session_id=exclude_session_id
    ):
        errors["password"] = _("口令 %(password)s 已被另一个未结束的场次使用，请更换。") % {
            "password": pw
        }
    return errors


@transaction.atomic
def session_save(*, session: ExamSession, now: datetime) -> ExamSession:
    """Create or update a session, keeping its attempts' deadlines in step."""
    if not session.password:
        session.password = password_generate(now=now, exclude_session_id=session.pk)
    if session.password_published_at is None and session.kind == rules.FORMAL:
        session.password_published_at = rules.password_published_at(session.rules())
    errors = session_validate(session=session, now=now, exclude_session_id=session.pk)
    if errors:
        raise InvalidInput(errors)
    is_new = session.pk is None
    before = None if is_new else ExamSession.objects.filter(pk=session.pk).values("starts_at", "ends_at").first()
    session.save()
    if before is not None:
        moved = attempts_refresh_deadlines(session=session, previous_ends_at=before["ends_at"])
        if moved or before["starts_at"] != session.starts_at:
            # Every page of the session reads its own new deadline (and start) within a second.
            live.session_deadlines_changed(
                session.id, kind=live.DEADLINE_SESSION_END,
                reason=_("考务人员调整了本场考试的时间安排。"),
            )
            live.monitor_changed(session.id, {
                "kind": "deadline", "attempt": None, "count": moved, "at": now.isoformat(),
                "minutes": int((session.ends_at - before["ends_at"]).total_seconds() // 60),
                "ends_at": session.ends_at.isoformat(),
            })
    return session


def session_create(
    *,
    batch: ExamBatch,
    kind: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    paper: Paper | None = None,
    password: str | None = None,
    subject: str = "",
    **overrides: Any,
) -> ExamSession:
    fields = session_kind_defaults(kind) if kind in rules.KIND_DEFAULTS else {}
    fields.update(overrides)
    session = ExamSession(
        batch=batch, kind=kind, name=name, subject=subject, paper=paper,
        password=password or "", starts_at=starts_at, ends_at=ends_at, **fields,
    )
    return session_save(session=session, now=now)


def session_regenerate_password(*, session: ExamSession, now: datetime) -> str:
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session.pk)
        session.password = password_generate(now=now, exclude_session_id=session.pk)
        session.save(update_fields=["password"])
    return session.password


def attempts_refresh_deadlines(*, session: ExamSession, previous_ends_at: datetime) -> int:
    """Deadlines follow the session's end: every attempt not finished moves by as much as the end
    moved, so extra time, a credit or a re-admission's own deadline is kept. Returns how many moved."""
    shift = session.ends_at - previous_ends_at
    if not shift:
        return 0
    return (
        Attempt.objects.filter(session=session)
        .exclude(state__in=statuses.FINISHED)
        .update(deadline=F("deadline") + shift)
    )
