"""Organizer reads of a session: its attempts and its results."""

from __future__ import annotations

from django.db.models import QuerySet

from exams.models import Attempt, ExamSession


def session_attempts(*, session: ExamSession) -> QuerySet[Attempt]:
    """A session's attempts with their candidates, for the organizer's attempt list."""
    return (
        Attempt.objects.filter(session=session)
        .select_related("registration__candidate")
        .order_by("registration__admission_ticket", "id")
    )
