"""Editing a question's rubric (评分标准) from the marking pages: at any time, audited.

The rubric only guides markers, so unlike the points and the correct answer (locked by
``exams.services.papers`` once candidates answered) it may change while marking goes on; every
change is a ``RubricChange`` row (before, after, who, when).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from exams.models import Question
from examsite.exceptions import InvalidInput
from results.models import RubricChange

MAX_RUBRIC = 5000


def rubric_update(*, question_id: int, rubric: object, actor: User, now: datetime) -> RubricChange | None:
    """Set the rubric of a question; None when it did not change."""
    if not isinstance(rubric, str) or len(rubric) > MAX_RUBRIC:
        raise InvalidInput({"rubric": _("评分标准必须是文字，最多 %(n)d 字。") % {"n": MAX_RUBRIC}})
    text = rubric.strip()
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        if question.rubric == text:
            return None
        change = RubricChange.objects.create(
            question=question, before=question.rubric, after=text, changed_by=actor, at=now
        )
        question.rubric = text
        question.save(update_fields=["rubric"])
    return change
