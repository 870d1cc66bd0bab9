"""Sessions and their passwords."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from exams import rules
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


def session_validate(
    *, session: ExamSession, now: datetime, exclude_session_id: int | None = None
) -> dict[str, str]:
    """Errors by field name, empty when the session can be saved."""
    errors: dict[str, str] = {}
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors["ends_at"] = _("结束时间必须晚于开考时间。")
    if session.kind not in rules.KIND_DEFAULTS:
        errors["kind"] = _("未知的场次类型。")
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
    session.save()
    if not is_new:
        attempts_refresh_deadlines(session=session)
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


def attempts_refresh_deadlines(*, session: ExamSession) -> int:
    """Deadlines follow the session's end (per-candidate extra minutes kept)."""
    changed = 0
    extras = (
        Attempt.objects.filter(session=session)
        .order_by("extra_minutes")
        .values_list("extra_minutes", flat=True)
        .distinct()
    )
    for extra in list(extras):
        changed += Attempt.objects.filter(
            Q(session=session, extra_minutes=extra)
        ).exclude(deadline=session.ends_at + timedelta(minutes=extra)).update(
            deadline=session.ends_at + timedelta(minutes=extra)
        )
    return changed
