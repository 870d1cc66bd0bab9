"""Questions of a paper as plain dicts, cached: the autosave path reads them on every batch."""

from __future__ import annotations

import contextlib

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from exams.models import Question

CACHE_SECONDS = 600


def _key(paper_id: int) -> str:
    return f"paper:{paper_id}:questions"


def paper_questions(paper_id: int | None) -> list[dict]:
    """id, kind, text, choices, points (str), correct, position; in paper order."""
    if paper_id is None:
        return []
    try:
        cached = cache.get(_key(paper_id))
    except Exception:  # cache down: read the database
        cached = None
    if cached is not None:
        return cached
    questions = [
        {
            "id": q.id,
            "kind": q.kind,
            "text": q.text,
            "choices": q.choices or [],
            "points": str(q.points),
            "correct": q.correct,
            "position": q.position,
        }
        for q in Question.objects.filter(paper_id=paper_id).order_by("position", "id")
    ]
    with contextlib.suppress(Exception):  # the cache is an optimization
        cache.set(_key(paper_id), questions, CACHE_SECONDS)
    return questions


def questions_for_candidate(paper_id: int | None) -> list[dict]:
    """What a candidate may see: never the correct answers."""
    return [
        {"id": q["id"], "kind": q["kind"], "text": q["text"], "choices": q["choices"],
         "points": q["points"]}
        for q in paper_questions(paper_id)
    ]


@receiver([post_save, post_delete], sender=Question)
def _forget_paper(sender, instance: Question, **kwargs) -> None:
    with contextlib.suppress(Exception):
        cache.delete(_key(instance.paper_id))
