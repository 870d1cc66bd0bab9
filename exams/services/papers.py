"""Papers and their questions, written together: a paper is saved whole or not at all."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from exams import answer_rules
from exams.exceptions import InvalidInput
from exams.models import Answer, ExamBatch, ExamSession, Paper, Question

MAX_QUESTIONS = 500


def paper_questions_errors(*, questions: list[dict[str, Any]]) -> dict[str, str]:
    """Every question's problems, by path (``questions[2].correct``); empty when all are usable.

    Each question dict has kind, text, choices, points, correct (already type-checked).
    """
    errors: dict[str, str] = {}
    if not questions:
        return {"questions": _("试卷至少需要一道试题。")}
    if len(questions) > MAX_QUESTIONS:
        return {"questions": _("一份试卷最多 %(max)d 道试题。") % {"max": MAX_QUESTIONS}}
    for i, q in enumerate(questions):
        problems = answer_rules.question_errors(kind=q["kind"], choices=q.get("choices"), correct=q.get("correct"))
        for name, reason in problems.items():
            errors[f"questions[{i}].{name}"] = reason
        if not str(q.get("text") or "").strip():
            errors[f"questions[{i}].text"] = _("请填写题干。")
        if Decimal(q.get("points", 1)) <= 0:
            errors[f"questions[{i}].points"] = _("分值必须大于 0。")
    return errors


def paper_locked_reason(*, paper: Paper, now: datetime) -> str | None:
    """Questions may not change once candidates could see them or have answered them."""
    if Answer.objects.filter(question__paper=paper).exists():
        return _(
            "该试卷已有考生作答，不能修改试题、分值和标准答案；请新建一份试卷。"
            "评分标准可随时在“阅卷”页面修改（留有修改记录）。"
        )
    # Candidates see the paper from login on (信息确认 then answering).
    opened = ExamSession.objects.filter(
        paper=paper, ends_at__gt=now, starts_at__lte=now + F("login_opens_before")
    )
    if opened.exists():
        return _("使用该试卷的场次已开放登录，不能修改试题。")
    return None


def _questions_write(*, paper: Paper, questions: list[dict[str, Any]]) -> None:
    # One create per question (not bulk_create) so the paper cache hears about each.
    for i, q in enumerate(questions, start=1):
        Question.objects.create(
            paper=paper,
            position=q.get("position") or i,
            kind=q["kind"],
            text=q["text"].strip(),
            choices=q.get("choices") or [],
            points=q.get("points", 1),
            correct=q.get("correct"),
            rubric=(q.get("rubric") or "").strip(),
        )


@transaction.atomic
def paper_create(
    *,
    name: str,
    questions: list[dict[str, Any]],
    now: datetime,
    batch: ExamBatch | None = None,
    subject: str = "",
    marking: dict[str, Any] | None = None,
) -> Paper:
    """A paper with all its questions; any unusable question refuses the whole paper.

    ``marking``: any of pass_mark, marking ("single"/"double"), marking_tolerance.
    """
    errors = paper_questions_errors(questions=questions)
    if not (name or "").strip():
        errors["name"] = _("请填写试卷名称。")
    if errors:
        raise InvalidInput(errors)
    paper = Paper.objects.create(batch=batch, name=name.strip(), subject=subject.strip(), **_marking(marking))
    _questions_write(paper=paper, questions=questions)
    return paper


_UNSET: Any = object()
MARKING_FIELDS = ("pass_mark", "marking", "marking_tolerance")


def _marking(marking: dict[str, Any] | None) -> dict[str, Any]:
    values = {name: value for name, value in (marking or {}).items() if name in MARKING_FIELDS}
    if values.get("marking") not in (None, Paper.MARKING_SINGLE, Paper.MARKING_DOUBLE):
        raise InvalidInput({"marking": _("阅卷方式只能是 single（单评）或 double（双评）。")})
    if values.get("marking_tolerance") is None:
        values.pop("marking_tolerance", None)
    return values


@transaction.atomic
def paper_update(
    *,
    paper: Paper,
    now: datetime,
    name: str | None = None,
    subject: str | None = None,
    batch: ExamBatch | None = _UNSET,
    questions: list[dict[str, Any]] | None = None,
    marking: dict[str, Any] | None = None,
) -> Paper:
    """Change a paper; ``questions`` (when given) replace all of its questions.

    Replacing is refused once any candidate answered or a session using the paper opened login.
    """
    paper = Paper.objects.select_for_update().get(pk=paper.pk)
    errors: dict[str, str] = {}
    if name is not None and not name.strip():
        errors["name"] = _("请填写试卷名称。")
    if questions is not None:
        reason = paper_locked_reason(paper=paper, now=now)
        if reason:
            errors["questions"] = reason
        else:
            errors.update(paper_questions_errors(questions=questions))
    if errors:
        raise InvalidInput(errors)
    if name is not None:
        paper.name = name.strip()
    if subject is not None:
        paper.subject = subject.strip()
    if batch is not _UNSET:
        paper.batch = batch
    for name, value in _marking(marking).items():
        setattr(paper, name, value)
    paper.save()
    if questions is not None:
        paper.questions.all().delete()
        _questions_write(paper=paper, questions=questions)
    return paper
