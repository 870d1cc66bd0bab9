"""Reads for the live monitor (实时监控) and its wall of candidate tiles.

exams owns what it knows of each tile (who, state, lock, leaves, last save); the apps above add
theirs (snapshot, phone, alerts, steps) through ``monitor_tile_extender_add``, each extender
with a fixed number of queries for the whole session, so the wall loads flat in its size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from exams import rules, statuses
from exams.models import Answer, Attempt, ExamSession, LateAnswer

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


def staff_can_monitor(user: User | AnonymousUser | None, session_id: int) -> bool:
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


# (session, {attempt id: tile}, extras, now) -> None: adds fields to the tiles in place, and
# what the page shows beside them to ``extras`` (the alert feed, labels).
TileExtender = Callable[[ExamSession, dict[int, dict[str, Any]], dict[str, Any], datetime], None]
_tile_extenders: list[TileExtender] = []


def monitor_tile_extender_add(extender: TileExtender) -> None:
    """An app above exams adds its fields to every tile (called from its ``AppConfig.ready``)."""
    if extender not in _tile_extenders:
        _tile_extenders.append(extender)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def monitor_attempt_states(*, session: ExamSession) -> dict[int, dict[str, Any]]:
    """The fields of every tile that exams changes (one query): the socket sends what changed."""
    session_rules = session.rules()
    last_save = Answer.objects.filter(attempt=OuterRef("pk")).order_by("-saved_at").values("saved_at")[:1]
    rows = (
        Attempt.objects.filter(session_id=session.id)
        .annotate(saved_at=Subquery(last_save))
        .values_list("id", "state", "locked", "leaves_used", "extra_leaves", "saved_at")
    )
    return {
        attempt_id: {
            "state": state,
            "locked": locked,
            "leaves_used": leaves_used,
            "leaves_max": rules.leaves_max(session_rules, extra_leaves=extra_leaves),
            "saved_at": _iso(saved_at),
        }
        for attempt_id, state, locked, leaves_used, extra_leaves, saved_at in rows
    }


@dataclass
class Wall:
    tiles: list[dict[str, Any]]
    extras: dict[str, Any] = field(default_factory=dict)


def monitor_wall(*, session: ExamSession, now: datetime) -> Wall:
    """Every candidate of the session as a wall tile, in seat order; queries flat in the count."""
    people = (
        Attempt.objects.filter(session_id=session.id)
        .order_by("registration__admission_ticket", "id")
        .values_list("id", "registration__candidate__name", "registration__admission_ticket")
    )
    states = monitor_attempt_states(session=session)
    tiles = {
        attempt_id: {"attempt": attempt_id, "name": name, "ticket": ticket, **states.get(attempt_id, {})}
        for attempt_id, name, ticket in people
    }
    extras: dict[str, Any] = {}
    for extender in _tile_extenders:
        extender(session, tiles, extras, now)
    return Wall(tiles=list(tiles.values()), extras=extras)


def monitor_session_states(session_id: int) -> dict[int, dict[str, Any]]:
    """``monitor_attempt_states`` by session id (the socket holds no session row)."""
    session = ExamSession.objects.select_related("batch").get(pk=session_id)
    return monitor_attempt_states(session=session)
