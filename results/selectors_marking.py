"""Marking progress per question and per marker (the marking overview)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from exams import statuses
from exams.models import Answer, Question
from results.models import Mark, MarkingTask


@dataclass
class QuestionProgress:
    question_id: int
    paper: str
    position: int
    text: str
    points: str
    to_mark: int = 0
    done: int = 0
    third_needed: int = 0
    mine: int = 0
    by_marker: dict[str, int] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return max(self.to_mark - self.done, 0)


def marking_progress(*, marker_id: int | None = None) -> list[QuestionProgress]:
    """Every essay or free-text question with answers to mark: how many, how many done, by whom
    (5 queries)."""
    counts = dict(
        Answer.objects.filter(question__kind=Question.ESSAY, attempt__state__in=statuses.FINISHED)
        .exclude(value__isnull=True).exclude(value="")
        .order_by().values("question_id").annotate(n=Count("id")).values_list("question_id", "n")
    )
    # Free text: only the answers no accepted answer matches have tasks (and need a mark).
    counts.update(
        MarkingTask.objects.filter(question__kind=Question.FILL_IN, attempt__state__in=statuses.FINISHED)
        .order_by().values("question_id").annotate(n=Count("id")).values_list("question_id", "n")
    )
    questions = Question.objects.filter(pk__in=counts).select_related("paper").order_by("paper_id", "position", "id")
    progress = {
        q.pk: QuestionProgress(question_id=q.pk, paper=q.paper.name, position=q.position, text=q.text[:80],
                               points=str(q.points), to_mark=counts[q.pk])
        for q in questions
    }
    for question_id, done, third in (
        MarkingTask.objects.filter(question_id__in=progress).order_by().values("question_id")
        .annotate(done=Count("id", filter=~_null("final_points")), third=Count("id", filter=_third()))
        .values_list("question_id", "done", "third")
    ):
        progress[question_id].done = done
        progress[question_id].third_needed = third
    for question_id, marker_id_, username, n in (
        Mark.objects.filter(task__question_id__in=progress).order_by()
        .values("task__question_id", "marker_id", "marker__username").annotate(n=Count("id"))
        .values_list("task__question_id", "marker_id", "marker__username", "n")
    ):
        progress[question_id].by_marker[username] = n
        if marker_id_ == marker_id:
            progress[question_id].mine = n
    return list(progress.values())


def _null(name: str) -> Q:
    return Q(**{f"{name}__isnull": True})


def _third() -> Q:
    return Q(required=3, final_points__isnull=True)
