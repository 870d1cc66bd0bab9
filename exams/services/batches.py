"""Batch definition files (docs/batch-format.md): a whole batch, checked first, then loaded.

``batch_load`` reads the whole file into a plan, collecting every error as
``{"path in the file": "reason"}``; only a file without a single error is written, in one
transaction. Loading creates or updates (batch by slug, papers and sessions by their key,
candidates by ID number) and never deletes: things missing from the file are left as they are.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from candidates import idnumbers
from candidates.services import candidate_upsert, registration_create
from exams import answers, rules
from exams.exceptions import InvalidInput
from exams.models import Answer, ExamBatch, ExamSession, Paper, Question
from exams.services.sessions import session_create, session_save
from support.models import StaffedPeriod

ROOT = "file"
KEY_MAX = 64
NAME_MAX = 200

# File name of a rule -> (model field, parser). Parsers take (value, path, errors).
RULE_KEYS = (
    "login_opens_before_minutes",
    "late_after_minutes",
    "min_answer_minutes",
    "exam_day_gate",
    "password_published_at",
    "max_screen_leaves",
    "lock_screen",
    "requires_scratch_paper",
    "snapshot_interval_seconds",
)
# Model fields a session gets from the file (kind defaults first, then the file's rules).
MODEL_DEFAULTS: dict[str, Any] = {
    "password_published_at": None,
    "requires_scratch_paper": False,
    "snapshot_interval_seconds": 30,
}
# Where a model field's error points in the file.
FIELD_PATHS = {
    "login_opens_before": "rules.login_opens_before_minutes",
    "late_after": "rules.late_after_minutes",
    "min_answer_time": "rules.min_answer_minutes",
    "exam_day_gate": "rules.exam_day_gate",
    "password_published_at": "rules.password_published_at",
    "max_screen_leaves": "rules.max_screen_leaves",
    "lock_screen": "rules.lock_screen",
    "requires_scratch_paper": "rules.requires_scratch_paper",
    "snapshot_interval_seconds": "rules.snapshot_interval_seconds",
}


class Errors(dict):
    """path -> reason; a second reason for the same path is appended."""

    def add(self, path: str, reason: Any) -> None:
        reason = str(reason)
        self[path] = f"{self[path]}；{reason}" if path in self else reason


@dataclass
class PaperPlan:
    path: str
    key: str
    name: str
    subject: str
    questions: list[dict[str, Any]]
    existing: Paper | None = None
    questions_changed: bool = True


@dataclass
class SessionPlan:
    path: str
    key: str
    kind: str
    name: str
    subject: str
    password: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    paper_key: str | None
    fields: dict[str, Any]
    existing: ExamSession | None = None


@dataclass
class CandidatePlan:
    path: str
    name: str
    document_type: str
    id_number: str
    phone: str
    registrations: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BatchPlan:
    slug: str
    name: str
    time_zone: str
    support_hours: list[tuple[datetime, datetime]] | None
    existing: ExamBatch | None
    papers: list[PaperPlan]
    sessions: list[SessionPlan]
    candidates: list[CandidatePlan]


# --- entry points ---------------------------------------------------------------------


def batch_validate(*, data: Any, now: datetime) -> dict[str, str]:
    """Every error of the file, by path; empty when it would load. Writes nothing."""
    errors = Errors()
    with transaction.atomic():
        _plan(data=data, now=now, errors=errors)
    return dict(errors)


def batch_load(*, data: Any, now: datetime) -> ExamBatch:
    """Create or update the batch the file describes, all of it or nothing."""
    with transaction.atomic():
        errors = Errors()
        plan = _plan(data=data, now=now, errors=errors)
        if errors or plan is None:
            raise InvalidInput(dict(errors) or {ROOT: _("文件内容无效。")})
        return _apply(plan=plan, now=now)


# --- reading the file -----------------------------------------------------------------


def _plan(*, data: Any, now: datetime, errors: Errors) -> BatchPlan | None:
    if not isinstance(data, dict):
        errors.add(ROOT, _("文件内容必须是一个 JSON 对象。"))
        return None
    _unknown_keys(data, {"batch", "papers", "sessions", "candidates"}, "", errors)
    batch = _object(data.get("batch"), "batch", errors) or {}
    _unknown_keys(batch, {"slug", "name", "time_zone", "support_hours"}, "batch", errors)
    slug = _text(batch, "slug", "batch", errors, max_length=KEY_MAX)
    if slug:
        try:
            validate_slug(slug)
        except ValidationError:
            errors.add("batch.slug", _("只能包含字母、数字、连字符和下划线。"))
            slug = ""
    existing = (
        ExamBatch.objects.select_for_update().filter(slug=slug).first() if slug else None
    )
    time_zone = batch.get("time_zone", "Asia/Shanghai")
    if not isinstance(time_zone, str) or time_zone not in zoneinfo.available_timezones():
        errors.add("batch.time_zone", _("未知的时区：%(value)s。") % {"value": time_zone})
        time_zone = "Asia/Shanghai"
    plan = BatchPlan(
        slug=slug,
        name=_text(batch, "name", "batch", errors),
        time_zone=time_zone,
        support_hours=_support_hours(batch, errors),
        existing=existing,
        papers=[],
        sessions=[],
        candidates=[],
    )
    plan.papers = _papers(data.get("papers", []), existing, now, errors)
    plan.sessions = _sessions(data.get("sessions", []), plan, now, errors)
    plan.candidates = _candidates(data.get("candidates", []), plan, errors)
    return plan


def _support_hours(batch: dict, errors: Errors) -> list[tuple[datetime, datetime]] | None:
    if "support_hours" not in batch:
        return None
    periods = []
    for path, item in _items(batch["support_hours"], "batch.support_hours", errors):
        _unknown_keys(item, {"starts_at", "ends_at"}, path, errors)
        starts_at = _datetime(item.get("starts_at"), f"{path}.starts_at", errors)
        ends_at = _datetime(item.get("ends_at"), f"{path}.ends_at", errors)
        if starts_at and ends_at:
            if ends_at <= starts_at:
                errors.add(f"{path}.ends_at", _("结束时间必须晚于开始时间。"))
            else:
                periods.append((starts_at, ends_at))
    return periods


def _papers(raw: Any, batch: ExamBatch | None, now: datetime, errors: Errors) -> list[PaperPlan]:
    existing = {p.key: p for p in batch.papers.exclude(key="")} if batch else {}
    plans: list[PaperPlan] = []
    seen: dict[str, str] = {}
    for path, item in _items(raw, "papers", errors):
        _unknown_keys(item, {"key", "name", "subject", "questions"}, path, errors)
        key = _key(item, path, seen, errors)
        questions = []
        q_items = _items(item.get("questions"), f"{path}.questions", errors)
        if not q_items and "questions" in item and isinstance(item["questions"], list):
            errors.add(f"{path}.questions", _("试卷至少需要一道试题。"))
        for q_path, q in q_items:
            questions.append(_question(q, q_path, errors))
        plan = PaperPlan(
            path=path,
            key=key,
            name=_text(item, "name", path, errors),
            subject=_text(item, "subject", path, errors, required=False),
            questions=questions,
            existing=existing.get(key),
        )
        if plan.existing is not None:
            plan.questions_changed = _question_rows(plan.existing) != [_row(q) for q in questions]
            reason = _paper_locked_reason(plan.existing, now) if plan.questions_changed else None
            if reason:
                errors.add(f"{path}.questions", reason)
        plans.append(plan)
    return plans


def _paper_locked_reason(paper: Paper, now: datetime) -> str | None:
    """Questions stay as they are once candidates answered them or could see them."""
    if Answer.objects.filter(question__paper=paper).exists():
        return _("该试卷已有考生作答，不能修改试题（会丢失答案）；请新建一份试卷（新的 key）。")
    opened = ExamSession.objects.filter(
        paper=paper, ends_at__gt=now, starts_at__lte=now + F("login_opens_before")
    )
    if opened.exists():
        return _("使用该试卷的场次已开放登录，不能修改试题；请新建一份试卷（新的 key）。")
    return None


def _question(q: dict, path: str, errors: Errors) -> dict[str, Any]:
    _unknown_keys(q, {"kind", "text", "choices", "points", "correct"}, path, errors)
    kind = q.get("kind")
    choices = q.get("choices", [])
    correct = q.get("correct")
    for name, reason in answers.question_errors(kind=kind, choices=choices, correct=correct).items():
        errors.add(f"{path}.{name}", reason)
    points = q.get("points", 1)
    try:
        if isinstance(points, bool) or not isinstance(points, (int, float, str)):
            raise InvalidOperation
        points = Decimal(str(points))
        if not (Decimal("0") < points <= Decimal("9999.99")) or points != points.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        errors.add(f"{path}.points", _("分值必须是大于 0 的数字（最多两位小数）。"))
        points = Decimal("1")
    return {
        "kind": kind,
        "text": _text(q, "text", path, errors, max_length=None),
        "choices": choices if choices not in (None, "") else [],
        "points": points.quantize(Decimal("0.01")),
        "correct": correct,
    }


def _row(q: dict[str, Any]) -> tuple:
    return (q["kind"], q["text"], q["choices"], Decimal(q["points"]).quantize(Decimal("0.01")), q["correct"])


def _question_rows(paper: Paper) -> list[tuple]:
    return [
        _row({"kind": q.kind, "text": q.text, "choices": q.choices, "points": q.points, "correct": q.correct})
        for q in paper.questions.order_by("position", "id")
    ]


def _sessions(raw: Any, plan: BatchPlan, now: datetime, errors: Errors) -> list[SessionPlan]:
    batch = plan.existing
    existing = {s.key: s for s in batch.sessions.exclude(key="")} if batch else {}
    paper_keys = {p.key for p in plan.papers} | (
        set(batch.papers.exclude(key="").values_list("key", flat=True)) if batch else set()
    )
    allowed = {"key", "kind", "name", "subject", "password", "starts_at", "ends_at", "paper", "rules"}
    plans: list[SessionPlan] = []
    seen: dict[str, str] = {}
    for path, item in _items(raw, "sessions", errors):
        _unknown_keys(item, allowed, path, errors)
        key = _key(item, path, seen, errors)
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
        starts_at = _datetime(item.get("starts_at"), f"{path}.starts_at", errors)
        ends_at = _datetime(item.get("ends_at"), f"{path}.ends_at", errors)
        if starts_at and ends_at and ends_at <= starts_at:
            errors.add(f"{path}.ends_at", _("结束时间必须晚于开考时间。"))
        paper_key = item.get("paper")
        if paper_key is not None and (not isinstance(paper_key, str) or paper_key not in paper_keys):
            errors.add(f"{path}.paper", _("未知的试卷 key：%(value)s。") % {"value": paper_key})
        fields = {**MODEL_DEFAULTS, **rules.KIND_DEFAULTS[kind]}
        fields.update(_rules(item.get("rules"), f"{path}.rules", errors))
        session = SessionPlan(
            path=path, key=key, kind=kind, name=_text(item, "name", path, errors),
            subject=_text(item, "subject", path, errors, required=False), password=password,
            starts_at=starts_at, ends_at=ends_at, paper_key=paper_key, fields=fields,
            existing=existing.get(key),
        )
        _session_rule_errors(session, errors)
        _paper_change_errors(session, errors)
        plans.append(session)
    _password_errors(plans, now, errors)
    return plans


def _rules(raw: Any, path: str, errors: Errors) -> dict[str, Any]:
    if raw is None:
        return {}
    given = _object(raw, path, errors) or {}
    _unknown_keys(given, set(RULE_KEYS), path, errors)
    out: dict[str, Any] = {}

    def minutes(name: str, field_name: str, *, nullable: bool) -> None:
        if name in given:
            value = _int(given[name], f"{path}.{name}", errors, minimum=0, maximum=10_000, nullable=nullable)
            out[field_name] = None if value is None else timedelta(minutes=value)

    minutes("login_opens_before_minutes", "login_opens_before", nullable=False)
    minutes("late_after_minutes", "late_after", nullable=True)
    minutes("min_answer_minutes", "min_answer_time", nullable=True)
    if "exam_day_gate" in given:
        out["exam_day_gate"] = _clock_time(given["exam_day_gate"], f"{path}.exam_day_gate", errors)
    if "password_published_at" in given and given["password_published_at"] is not None:
        out["password_published_at"] = _datetime(
            given["password_published_at"], f"{path}.password_published_at", errors
        )
    if "max_screen_leaves" in given:
        out["max_screen_leaves"] = _int(
            given["max_screen_leaves"], f"{path}.max_screen_leaves", errors, minimum=1, maximum=1000,
            nullable=True,
        )
    for name in ("lock_screen", "requires_scratch_paper"):
        if name in given:
            if isinstance(given[name], bool):
                out[name] = given[name]
            else:
                errors.add(f"{path}.{name}", _("必须是 true 或 false。"))
    if "snapshot_interval_seconds" in given:
        out["snapshot_interval_seconds"] = _int(
            given["snapshot_interval_seconds"], f"{path}.snapshot_interval_seconds", errors,
            minimum=5, maximum=3600, nullable=False,
        ) or MODEL_DEFAULTS["snapshot_interval_seconds"]
    return out


def _session_rule_errors(s: SessionPlan, errors: Errors) -> None:
    f = s.fields
    if s.kind == rules.DEVICE_CHECK and f.get("lock_screen") and f.get("max_screen_leaves") is not None:
        errors.add(
            f"{s.path}.rules.lock_screen",
            _("设备调试场次不锁屏：请去掉 lock_screen 或把 max_screen_leaves 设为 null。"),
        )
    window = s.ends_at - s.starts_at if s.starts_at and s.ends_at else None
    if window and window > timedelta(0) and f.get("min_answer_time") and f["min_answer_time"] > window:
        errors.add(
            f"{s.path}.rules.min_answer_minutes", _("最小答题时长超过了本场考试的时长，考生将无法交卷。")
        )


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


def _candidates(raw: Any, plan: BatchPlan, errors: Errors) -> list[CandidatePlan]:
    session_keys = {s.key for s in plan.sessions} | (
        set(plan.existing.sessions.exclude(key="").values_list("key", flat=True)) if plan.existing else set()
    )
    plans: list[CandidatePlan] = []
    by_id: dict[str, str] = {}
    for path, item in _items(raw, "candidates", errors):
        _unknown_keys(item, {"name", "document_type", "id_number", "phone", "sessions"}, path, errors)
        document_type = item.get("document_type", idnumbers.RESIDENT_ID)
        id_number = ""
        if not isinstance(document_type, str) or document_type not in dict(idnumbers.DOCUMENT_TYPES):
            errors.add(f"{path}.document_type", _("未知的证件类型：%(value)s。") % {"value": document_type})
        else:
            try:
                id_number = idnumbers.normalize(item.get("id_number"), document_type)
            except idnumbers.InvalidIdNumber as error:
                errors.add(f"{path}.id_number", error.message)
        if id_number in by_id:
            errors.add(f"{path}.id_number", _("证件号与 %(other)s 重复。") % {"other": by_id[id_number]})
        elif id_number:
            by_id[id_number] = path
        candidate = CandidatePlan(
            path=path, name=_text(item, "name", path, errors, max_length=100),
            document_type=document_type, id_number=id_number,
            phone=_text(item, "phone", path, errors, required=False, max_length=32),
        )
        seen: set[str] = set()
        for r_path, r in _items(item.get("sessions", []), f"{path}.sessions", errors, allow_str=True):
            r = {"session": r} if isinstance(r, str) else r
            _unknown_keys(r, {"session", "admission_ticket", "subject"}, r_path, errors)
            key = r.get("session")
            if not isinstance(key, str) or key not in session_keys:
                errors.add(r_path, _("未知的场次 key：%(value)s。") % {"value": key})
            elif key in seen:
                errors.add(r_path, _("重复报名同一场次：%(value)s。") % {"value": key})
            else:
                seen.add(key)
                candidate.registrations.append({
                    "session": key,
                    "admission_ticket": _text(
                        r, "admission_ticket", r_path, errors, required=False, max_length=40
                    ),
                    "subject": _text(r, "subject", r_path, errors, required=False),
                })
        plans.append(candidate)
    return plans


# --- small readers ----------------------------------------------------------------------


def _unknown_keys(obj: dict, allowed: set[str], path: str, errors: Errors) -> None:
    for name in obj:
        if name not in allowed:
            errors.add(f"{path}.{name}" if path else name, _("未知的字段。"))


def _object(value: Any, path: str, errors: Errors) -> dict | None:
    if not isinstance(value, dict):
        errors.add(path, _("必须是一个对象（{...}）。") if value is not None else _("必填。"))
        return None
    return value


def _items(value: Any, path: str, errors: Errors, *, allow_str: bool = False) -> list[tuple[str, Any]]:
    """(path, item) for each object in a list; a wrong shape is an error at its path."""
    if value is None:
        errors.add(path, _("必填。"))
        return []
    if not isinstance(value, list):
        errors.add(path, _("必须是一个列表（[...]）。"))
        return []
    out = []
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        if isinstance(item, dict) or (allow_str and isinstance(item, str)):
            out.append((item_path, item))
        else:
            errors.add(item_path, _("必须是一个对象（{...}）。"))
    return out


def _text(obj: dict, name: str, path: str, errors: Errors, *, required: bool = True,
          max_length: int | None = NAME_MAX) -> str:
    value = obj.get(name)
    if value is None or value == "":
        if required:
            errors.add(f"{path}.{name}", _("必填。"))
        return ""
    if not isinstance(value, str):
        errors.add(f"{path}.{name}", _("必须是文字。"))
        return ""
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        errors.add(f"{path}.{name}", _("最多 %(max)d 个字符。") % {"max": max_length})
    return value


def _key(item: dict, path: str, seen: dict[str, str], errors: Errors) -> str:
    key = _text(item, "key", path, errors, max_length=KEY_MAX)
    if key in seen:
        errors.add(f"{path}.key", _("key 与 %(other)s 重复。") % {"other": seen[key]})
    elif key:
        seen[key] = path
    return key


def _datetime(value: Any, path: str, errors: Errors) -> datetime | None:
    if value is None:
        errors.add(path, _("必填。"))
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.add(path, _("不是有效的 ISO 8601 时间（例如 2023-07-30T09:00:00+08:00）。"))
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        errors.add(path, _("时间必须带时区偏移（例如 +08:00）。"))
        return None
    return parsed


def _clock_time(value: Any, path: str, errors: Errors) -> time | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 5:
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        errors.add(path, _("必须是 HH:MM 格式的时刻（例如 08:00），或 null。"))
        return None


def _int(value: Any, path: str, errors: Errors, *, minimum: int, maximum: int, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        errors.add(path, _("必须是 %(min)d 到 %(max)d 之间的整数%(null)s。")
                   % {"min": minimum, "max": maximum, "null": _("，或 null") if nullable else ""})
        return None
    return value


# --- writing ----------------------------------------------------------------------------


def _apply(*, plan: BatchPlan, now: datetime) -> ExamBatch:
    batch = plan.existing or ExamBatch(slug=plan.slug)
    batch.name = plan.name
    batch.time_zone = plan.time_zone
    batch.save()
    if plan.support_hours is not None:
        # Staffed hours are plain data of the batch: the file's list replaces them.
        StaffedPeriod.objects.filter(batch=batch).delete()
        StaffedPeriod.objects.bulk_create(
            StaffedPeriod(batch=batch, starts_at=starts_at, ends_at=ends_at)
            for starts_at, ends_at in plan.support_hours
        )

    papers = {p.key: p for p in batch.papers.exclude(key="")}
    for p in plan.papers:
        paper = p.existing or Paper(batch=batch, key=p.key)
        paper.name, paper.subject = p.name, p.subject
        paper.save()
        if p.questions_changed:
            paper.questions.all().delete()  # no answers point at them: checked in _papers
            # One create per question (not bulk_create): the paper cache (exams.papers) hears each.
            for i, q in enumerate(p.questions, start=1):
                Question.objects.create(paper=paper, position=i, **q)
        papers[p.key] = paper

    sessions = {s.key: s for s in batch.sessions.exclude(key="")}
    # Sessions with a password from the file first, so generated ones avoid theirs.
    # Existing sessions before new ones, so a password freed by one can be taken by another.
    for s in sorted(plan.sessions, key=lambda s: (s.password is None, s.existing is None)):
        try:
            sessions[s.key] = _session_write(s, batch=batch, paper=papers.get(s.paper_key), now=now)
        except InvalidInput as error:
            raise InvalidInput({
                f"{s.path}.{FIELD_PATHS.get(name, name)}": reason for name, reason in error.errors.items()
            }) from None

    for c in plan.candidates:
        candidate = candidate_upsert(
            name=c.name, id_number=c.id_number, document_type=c.document_type, phone=c.phone
        )
        for r in c.registrations:
            registration_create(
                candidate=candidate, session=sessions[r["session"]], now=now,
                admission_ticket=r["admission_ticket"], subject=r["subject"],
            )
    return batch


def _session_write(s: SessionPlan, *, batch: ExamBatch, paper: Paper | None, now: datetime) -> ExamSession:
    if s.existing is None:
        return session_create(
            batch=batch, kind=s.kind, name=s.name, subject=s.subject, paper=paper,
            password=s.password, starts_at=s.starts_at, ends_at=s.ends_at, now=now,
            key=s.key, **s.fields,
        )
    session = s.existing
    session.kind, session.name, session.subject, session.paper = s.kind, s.name, s.subject, paper
    session.starts_at, session.ends_at = s.starts_at, s.ends_at
    if s.password:
        session.password = s.password
    for name, value in s.fields.items():
        setattr(session, name, value)
    return session_save(session=session, now=now)
