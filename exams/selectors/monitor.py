"""Reads for the live monitor (实时监控)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from exams import statuses
from exams.models import Attempt, ExamSession, LateAnswer

BUCKETS = {
    "not_logged_in": Q(state=statuses.REGISTERED),
    "checked_in": Q(state=statuses.CHECKED_IN),
    "answering": Q(state=statuses.IN_PROGRESS),
    "submitted": Q(state=statuses.SUBMITTED),
    "collected": Q(state=statuses.COLLECTED),
    "late_absent": Q(state__in=(statuses.LATE, statuses.ABSENT)),
    "locked": Q(locked=True),
}


def session_counts(session_id: int) -> dict[str, int]:
    """One aggregate query: the monitor's counts by state."""
    return Attempt.objects.filter(session_id=session_id).aggregate(
        total=Count("id"), **{name: Count("id", filter=condition) for name, condition in BUCKETS.items()}
    )


def staff_can_monitor(user, session_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    if not user.has_perm("exams.monitor_session"):
        return False
    return ExamSession.objects.filter(pk=session_id).exists()


def attempts_needing_action(session_id: int, *, limit: int = 100) -> list[Attempt]:
    """The monitor's list of attempts an organizer may have to repair: locked, late or absent
    (re-admit), or holding late answers not accepted yet."""
    pending = LateAnswer.objects.filter(attempt=OuterRef("pk"), applied_at__isnull=True)
    return list(
        Attempt.objects.filter(session_id=session_id)
        .annotate(late_pending=Exists(pending))
        .filter(Q(locked=True) | Q(state__in=(statuses.LATE, statuses.ABSENT)) | Q(late_pending=True))
        .select_related("registration__candidate")
        .order_by("id")[:limit]
    )
