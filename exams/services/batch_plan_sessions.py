"""A batch definition file's sessions read into plans: times, rules, passwords, paper changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from exams import rules
from exams.models import Answer, ExamSession
from exams.services.batch_fields import (
    Errors,
    read_clock_time,
    read_datetime,
    read_int,
    read_items,
    read_key,
    read_object,
    read_text,
    unknown_keys,
)
from exams.services.batch_plan import FIELD_PATHS, MODEL_DEFAULTS, RULE_KEYS, BatchPlan, SessionPlan
from exams.services.sessions import session_problem_messages


def read_sessions(raw: Any, plan: BatchPlan, now: datetime, errors: Errors) -> list[SessionPlan]:
    batch = plan.existing
    existing = {s.key: s for s in batch.sessions.exclude(key="")} if batch else {}
    paper_keys = {p.key for p in plan.papers} | (
        set(batch.papers.exclude(key="").values_list("key", flat=True)) if batch else set()
    )
    allowed = {"key", "kind", "name", "subject", "password", "starts_at", "ends_at", "paper", "rules"}
    plans: list[SessionPlan] = []
    seen: dict[str, str] = {}
    for path, item in read_items(raw, "sessions", errors):
        unknown_keys(item, allowed, path, errors)
        key = read_key(item, path, seen, errors)
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in rules.KIND_DEFAULTS:
            errors.add(f"{path}.kind", _("未知的场次类型：%(value)s（可选 device_check、mock、formal）。")
                       % {"value": kind})
            kind = rules.FORMAL
        password = item.get("password")
        if password is not None and not (
            isinstance(password, str) and len(password) == 6 and password.isascii() and password.isdigit()
        ):
            errors.add(
                f"{path}.password", _("考试口令必须是 6 位数字（用引号写成文字），或写 null 由系统生成。")
            )
            password = None
        starts_at = read_datetime(item.get("starts_at"), f"{path}.starts_at", errors)
        ends_at = read_datetime(item.get("ends_at"), f"{path}.ends_at", errors)
        if starts_at and ends_at and ends_at <= starts_at:
            errors.add(f"{path}.ends_at", _("结束时间必须晚于开考时间。"))
        paper_key = item.get("paper")
        if paper_key is not None and (not isinstance(paper_key, str) or paper_key not in paper_keys):
            errors.add(f"{path}.paper", _("未知的试卷 key：%(value)s。") % {"value": paper_key})
        fields = {**MODEL_DEFAULTS, **rules.KIND_DEFAULTS[kind]}
        fields.update(_rules(item.get("rules"), f"{path}.rules", errors))
        session = SessionPlan(
            path=path, key=key, kind=kind, name=read_text(item, "name", path, errors),
            subject=read_text(item, "subject", path, errors, required=False), password=password,
            starts_at=starts_at, ends_at=ends_at, paper_key=paper_key, fields=fields,
            existing=existing.get(key),
        )
        _session_rule_errors(session, errors, time_zone=plan.time_zone)
        _paper_change_errors(session, errors)
        plans.append(session)
    _password_errors(plans, now, errors)
    return plans


def _rules(raw: Any, path: str, errors: Errors) -> dict[str, Any]:
    if raw is None:
        return {}
    given = read_object(raw, path, errors) or {}
    unknown_keys(given, set(RULE_KEYS), path, errors)
    out: dict[str, Any] = {}

    def minutes(name: str, field_name: str, *, nullable: bool) -> None:
        if name in given:
            value = read_int(given[name], f"{path}.{name}", errors, minimum=0, maximum=10_000, nullable=nullable)
            out[field_name] = None if value is None else timedelta(minutes=value)

    minutes("login_opens_before_minutes", "login_opens_before", nullable=False)
    minutes("late_after_minutes", "late_after", nullable=True)
    minutes("min_answer_minutes", "min_answer_time", nullable=True)
    if "exam_day_gate" in given:
        out["exam_day_gate"] = read_clock_time(given["exam_day_gate"], f"{path}.exam_day_gate", errors)
    if "password_published_at" in given and given["password_published_at"] is not None:
        out["password_published_at"] = read_datetime(
            given["password_published_at"], f"{path}.password_published_at", errors
        )
    if "max_screen_leaves" in given:
        out["max_screen_leaves"] = read_int(
            given["max_screen_leaves"], f"{path}.max_screen_leaves", errors, minimum=1, maximum=1000,
            nullable=True,
        )
    for name in ("lock_screen", "requires_login_photo", "requires_phone_monitor", "requires_scratch_paper"):
        if name in given:
            if isinstance(given[name], bool):
                out[name] = given[name]
            else:
                errors.add(f"{path}.{name}", _("必须是 true 或 false。"))
    if "snapshot_interval_seconds" in given:
        out["snapshot_interval_seconds"] = read_int(
            given["snapshot_interval_seconds"], f"{path}.snapshot_interval_seconds", errors,
            minimum=5, maximum=3600, nullable=False,
        ) or MODEL_DEFAULTS["snapshot_interval_seconds"]
    if "recording" in given:
        modes = [mode for mode, _label in ExamSession.RECORDING_MODES]
        if given["recording"] in modes:
            out["recording"] = given["recording"]
        else:
            errors.add(f"{path}.recording", _("录制方式必须是 off、snapshots 或 video 之一。"))
    return out


def _session_rule_errors(s: SessionPlan, errors: Errors, *, time_zone: str) -> None:
    f = s.fields
    if s.kind == rules.DEVICE_CHECK and f.get("lock_screen") and f.get("max_screen_leaves") is not None:
        errors.add(
            f"{s.path}.rules.lock_screen",
            _("设备调试场次不锁屏：请去掉 lock_screen 或把 max_screen_leaves 设为 null。"),
        )
    if not (s.starts_at and s.ends_at and s.ends_at > s.starts_at):
        return
    proposed = rules.SessionRules(
        kind=s.kind, starts_at=s.starts_at, ends_at=s.ends_at, time_zone=time_zone,
        login_opens_before=f.get("login_opens_before", timedelta(minutes=30)), late_after=f.get("late_after"),
        min_answer_time=f.get("min_answer_time"), exam_day_gate=f.get("exam_day_gate"),
    )
    for field, message in session_problem_messages(proposed).items():
        errors.add(f"{s.path}.{FIELD_PATHS.get(field, field)}", message)


def _paper_change_errors(s: SessionPlan, errors: Errors) -> None:
    old = s.existing
    if old is None or (old.paper.key if old.paper else None) == s.paper_key:
        return
    if Answer.objects.filter(attempt__session=old).exists():
        errors.add(f"{s.path}.paper", _("本场次已有考生作答，不能更换试卷。"))


def _password_errors(plans: list[SessionPlan], now: datetime, errors: Errors) -> None:
    """Unique among sessions whose window has not ended, in the file and in the database."""
    first_by_password: dict[str, SessionPlan] = {}
    checked: dict[str, SessionPlan] = {}
    for s in plans:
        password = s.password or (s.existing.password if s.existing else None)
        if not password or not s.ends_at or s.ends_at <= now:
            continue
        if password in first_by_password:
            errors.add(f"{s.path}.password", _("口令 %(password)s 与 %(other)s 重复。")
                       % {"password": password, "other": first_by_password[password].path})
            continue
        first_by_password[password] = s
        if s.password:
            checked[password] = s
    redefined = [s.existing.pk for s in plans if s.existing]
    taken = (
        ExamSession.objects.filter(password__in=list(checked), ends_at__gt=now)
        .exclude(pk__in=redefined)
        .select_related("batch")
    )
    for other in taken:
        errors.add(f"{checked[other.password].path}.password",
                   _("口令 %(password)s 已被未结束的场次「%(name)s」（批次 %(batch)s）使用，请更换。")
                   % {"password": other.password, "name": other.name, "batch": other.batch.slug})
