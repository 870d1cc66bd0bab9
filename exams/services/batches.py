"""Batch definition files (docs/batch-format.md): a whole batch, checked first, then loaded.

``batch_load`` reads the whole file into a plan, collecting every error as
``{"path in the file": "reason"}``; only a file without a single error is written, in one
transaction. Loading creates or updates (batch by slug, papers and sessions by their key,
candidates by ID number) and never deletes: things missing from the file are left as they are.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from candidates.services import candidate_upsert
from exams.exceptions import InvalidInput
from exams.models import ExamBatch, ExamSession, Paper, Question
from exams.services import batch_sections
from exams.services.backups import batch_backup_key
from exams.services.batch_fields import KEY_MAX, Errors, read_object, read_text, unknown_keys
from exams.services.batch_plan import FIELD_PATHS, BatchPlan, SessionPlan, read_candidates, read_papers
from exams.services.batch_plan_sessions import read_sessions
from exams.services.registrations import registration_create
from exams.services.sessions import session_create, session_save

ROOT = "file"


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
    unknown_keys(data, {"batch", "papers", "sessions", "candidates"}, "", errors)
    batch = read_object(data.get("batch"), "batch", errors) or {}
    unknown_keys(batch, {"slug", "name", "time_zone", "login_requires_admission_ticket",
                        *batch_sections.registered()}, "batch", errors)
    slug = read_text(batch, "slug", "batch", errors, max_length=KEY_MAX)
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
    needs_ticket = batch.get("login_requires_admission_ticket", False)
    if not isinstance(needs_ticket, bool):
        errors.add("batch.login_requires_admission_ticket", _("必须是 true 或 false。"))
        needs_ticket = False
    plan = BatchPlan(
        slug=slug,
        name=read_text(batch, "name", "batch", errors),
        time_zone=time_zone,
        login_requires_admission_ticket=needs_ticket,
        sections=batch_sections.read_all(batch, errors),
        existing=existing,
        papers=[],
        sessions=[],
        candidates=[],
    )
    plan.papers = read_papers(data.get("papers", []), existing, now, errors)
    plan.sessions = read_sessions(data.get("sessions", []), plan, now, errors)
    plan.candidates = read_candidates(data.get("candidates", []), plan, errors)
    return plan


# --- writing ----------------------------------------------------------------------------


def _apply(*, plan: BatchPlan, now: datetime) -> ExamBatch:
    batch = plan.existing or ExamBatch(slug=plan.slug)
    batch.name = plan.name
    batch.time_zone = plan.time_zone
    batch.login_requires_admission_ticket = plan.login_requires_admission_ticket
    batch.save()
    batch_backup_key(batch_id=batch.id)  # its key pair for emergency answer backups (once)
    batch_sections.write_all(batch, plan.sections)

    papers = {p.key: p for p in batch.papers.exclude(key="")}
    for p in plan.papers:
        paper = p.existing or Paper(batch=batch, key=p.key)
        paper.name, paper.subject = p.name, p.subject
        paper.pass_mark, paper.marking, paper.marking_tolerance = p.pass_mark, p.marking, p.marking_tolerance
        paper.save()
        if p.questions_changed:
            paper.questions.all().delete()  # no answers point at them: checked in _papers
            # One create per question (not bulk_create): the paper cache (exams.paper_cache) hears each.
            for i, q in enumerate(p.questions, start=1):
                Question.objects.create(paper=paper, position=i, **q)
        else:
            # A rubric is for markers only: it may change after candidates answered.
            for question, q in zip(paper.questions.order_by("position", "id"), p.questions, strict=True):
                if question.rubric != q["rubric"]:
                    question.rubric = q["rubric"]
                    question.save(update_fields=["rubric"])
        papers[p.key] = paper

    sessions = {s.key: s for s in batch.sessions.exclude(key="")}
    # Sessions with a password from the file first, so generated ones avoid theirs.
    # Existing sessions before new ones, so a password freed by one can be taken by another.
    for s in sorted(plan.sessions, key=lambda s: (s.password is None, s.existing is None)):
        try:
            session_paper = papers.get(s.paper_key) if s.paper_key else None
            sessions[s.key] = _session_write(s, batch=batch, paper=session_paper, now=now)
        except InvalidInput as error:
            raise InvalidInput({
                f"{s.path}.{FIELD_PATHS.get(name, name)}": reason for name, reason in error.by_path().items()
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
    assert s.starts_at is not None and s.ends_at is not None  # a plan with errors is never written
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
