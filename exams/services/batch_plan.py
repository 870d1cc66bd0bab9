"""A batch definition file read into a plan: papers and candidates (sessions: ``batch_plan_sessions``).

Nothing here writes; ``exams.services.batches`` writes a plan only when the whole file is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import answer_rules
from exams.models import ExamBatch, ExamSession, Paper
from exams.services.batch_fields import (
    Errors,
    read_items,
    read_key,
    read_text,
    unknown_keys,
)
from exams.services.papers import paper_locked_reason

# File name of a rule -> (model field, parser). Parsers take (value, path, errors).
RULE_KEYS = (
    "login_opens_before_minutes",
    "late_after_minutes",
    "min_answer_minutes",
    "exam_day_gate",
    "password_published_at",
    "max_screen_leaves",
    "lock_screen",
    "requires_login_photo",
    "requires_phone_monitor",
    "requires_scratch_paper",
    "snapshot_interval_seconds",
    "recording",
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
    "requires_login_photo": "rules.requires_login_photo",
    "requires_phone_monitor": "rules.requires_phone_monitor",
    "requires_scratch_paper": "rules.requires_scratch_paper",
    "snapshot_interval_seconds": "rules.snapshot_interval_seconds",
    "recording": "rules.recording",
}



@dataclass
class PaperPlan:
    path: str
    key: str
    name: str
    subject: str
    questions: list[dict[str, Any]]
    existing: Paper | None = None
    questions_changed: bool = True
    # Results (issue 15): the pass mark, single or double marking and its tolerance.
    pass_mark: Decimal | None = None
    marking: str = "single"
    marking_tolerance: Decimal = Decimal("0")


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
    login_requires_admission_ticket: bool
    # What registered sections (exams.services.batch_sections) read, by key: {"support_hours": ...}.
    sections: dict[str, Any]
    existing: ExamBatch | None
    papers: list[PaperPlan]
    sessions: list[SessionPlan]
    candidates: list[CandidatePlan]


def read_papers(raw: Any, batch: ExamBatch | None, now: datetime, errors: Errors) -> list[PaperPlan]:
    existing = {p.key: p for p in batch.papers.exclude(key="")} if batch else {}
    plans: list[PaperPlan] = []
    seen: dict[str, str] = {}
    for path, item in read_items(raw, "papers", errors):
        unknown_keys(
            item, {"key", "name", "subject", "questions", "pass_mark", "marking", "marking_tolerance"}, path, errors
        )
        key = read_key(item, path, seen, errors)
        questions = []
        q_items = read_items(item.get("questions"), f"{path}.questions", errors)
        if not q_items and "questions" in item and isinstance(item["questions"], list):
            errors.add(f"{path}.questions", _("试卷至少需要一道试题。"))
        for q_path, q in q_items:
            questions.append(read_question(q, q_path, errors))
        plan = PaperPlan(
            path=path,
            key=key,
            name=read_text(item, "name", path, errors),
            subject=read_text(item, "subject", path, errors, required=False),
            questions=questions,
            existing=existing.get(key),
        )
        read_marking(item, path, plan, errors)
        if plan.existing is not None:
            plan.questions_changed = question_rows(plan.existing) != [question_row(q) for q in questions]
            reason = paper_locked_reason(paper=plan.existing, now=now) if plan.questions_changed else None
            if reason:
                errors.add(f"{path}.questions", reason)
        plans.append(plan)
    return plans


def read_points(value: Any, path: str, errors: Errors, *, allow_zero: bool = False) -> Decimal | None:
    """A number of points with at most two decimals (greater than 0, or at least 0); None if bad."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InvalidOperation
        points = Decimal(str(value))
        low_ok = points >= 0 if allow_zero else points > 0
        if not (low_ok and points <= Decimal("9999.99")) or points != points.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        errors.add(path, _("必须是不小于 0 的数字（最多两位小数）。") if allow_zero
                   else _("必须是大于 0 的数字（最多两位小数）。"))
        return None
    return points.quantize(Decimal("0.01"))


def read_marking(item: dict[str, Any], path: str, plan: PaperPlan, errors: Errors) -> None:
    if item.get("pass_mark") is not None:
        plan.pass_mark = read_points(item["pass_mark"], f"{path}.pass_mark", errors, allow_zero=True)
    marking = item.get("marking", "single")
    if marking not in ("single", "double"):
        errors.add(f"{path}.marking", _("阅卷方式只能是 single（单评）或 double（双评）。"))
    else:
        plan.marking = marking
    if "marking_tolerance" in item:
        plan.marking_tolerance = (
            read_points(item["marking_tolerance"], f"{path}.marking_tolerance", errors, allow_zero=True)
            or Decimal("0")
        )


def read_question(q: dict[str, Any], path: str, errors: Errors) -> dict[str, Any]:
    unknown_keys(q, {"kind", "text", "choices", "points", "correct", "rubric"}, path, errors)
    kind = q.get("kind")
    choices = q.get("choices", [])
    correct = q.get("correct")
    for name, reason in answer_rules.question_errors(kind=kind, choices=choices, correct=correct).items():
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
        "text": read_text(q, "text", path, errors, max_length=None),
        "choices": choices if choices not in (None, "") else [],
        "points": points.quantize(Decimal("0.01")),
        "correct": correct,
        "rubric": read_text(q, "rubric", path, errors, required=False, max_length=None),
    }


def question_row(q: dict[str, Any]) -> tuple[Any, ...]:
    return (q["kind"], q["text"], q["choices"], Decimal(q["points"]).quantize(Decimal("0.01")), q["correct"])


def question_rows(paper: Paper) -> list[tuple[Any, ...]]:
    return [
        question_row({"kind": q.kind, "text": q.text, "choices": q.choices, "points": q.points, "correct": q.correct})
        for q in paper.questions.order_by("position", "id")
    ]


def read_candidates(raw: Any, plan: BatchPlan, errors: Errors) -> list[CandidatePlan]:
    session_keys = {s.key for s in plan.sessions} | (
        set(plan.existing.sessions.exclude(key="").values_list("key", flat=True)) if plan.existing else set()
    )
    plans: list[CandidatePlan] = []
    by_id: dict[str, str] = {}
    for path, item in read_items(raw, "candidates", errors):
        unknown_keys(item, {"name", "document_type", "id_number", "phone", "sessions"}, path, errors)
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
            path=path, name=read_text(item, "name", path, errors, max_length=100),
            document_type=document_type, id_number=id_number,
            phone=read_text(item, "phone", path, errors, required=False, max_length=32),
        )
        seen: set[str] = set()
        for r_path, r in read_items(item.get("sessions", []), f"{path}.sessions", errors, allow_str=True):
            r = {"session": r} if isinstance(r, str) else r
            unknown_keys(r, {"session", "admission_ticket", "subject"}, r_path, errors)
            key = r.get("session")
            if not isinstance(key, str) or key not in session_keys:
                errors.add(r_path, _("未知的场次 key：%(value)s。") % {"value": key})
            elif key in seen:
                errors.add(r_path, _("重复报名同一场次：%(value)s。") % {"value": key})
            else:
                seen.add(key)
                candidate.registrations.append({
                    "session": key,
                    "admission_ticket": read_text(
                        r, "admission_ticket", r_path, errors, required=False, max_length=40
                    ),
                    "subject": read_text(r, "subject", r_path, errors, required=False),
                })
        plans.append(candidate)
    return plans
