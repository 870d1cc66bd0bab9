"""Reads for the review console (审核) and the results export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from candidates import idnumbers
from exams import statuses
from exams.audit import AuditAction
from exams.models import Attempt, AttemptAudit
from proctoring.models import Evidence, ProctorEvent, RegisteredPhoto, ReviewDecision

# Points per event of a kind; the review queue puts the highest totals first.
DEFAULT_SUSPICION_WEIGHTS: dict[str, float] = {
    ProctorEvent.SCREEN_LEAVE: 3,
    ProctorEvent.FULLSCREEN_EXIT: 2,
    ProctorEvent.FOCUS_LOSS: 1,
    ProctorEvent.RELOGIN: 2,
    ProctorEvent.NETWORK_LOST: 1,
    ProctorEvent.CAMERA_BLACK: 4,
    ProctorEvent.CAMERA_MISSING: 5,
    ProctorEvent.CAMERA_DENIED: 5,
    ProctorEvent.CAMERA_LOST: 4,
    ProctorEvent.PHONE_LOST: 4,
    ProctorEvent.LOUD_SOUND: 3,
    ProctorEvent.LOCK: 5,
}

# Timeline kinds that are not proctor events: the evidence kinds and these attempt audit rows
# (labelled by AuditAction).
AUDIT_ACTIONS = (
    AuditAction.START,
    AuditAction.COLLECT,
    AuditAction.LATE,
    AuditAction.ABSENT,
    AuditAction.DECISION,
    AuditAction.VOID_PROPOSED,
    AuditAction.VOID_WITHDRAWN,
    AuditAction.EXTRA_TIME,
)
AUDIT = "audit"
SOURCE_PHONE = "phone"
SOURCE_COMPUTER = "computer"
SOURCE_SERVER = "server"


def suspicion_weights() -> dict[str, float]:
    """``settings.PROCTORING_SUSPICION_WEIGHTS`` overrides the defaults kind by kind."""
    weights = dict(DEFAULT_SUSPICION_WEIGHTS)
    weights.update(getattr(settings, "PROCTORING_SUSPICION_WEIGHTS", {}) or {})
    return weights


def suspicion_score(counts: dict[str, int], weights: dict[str, float] | None = None) -> float:
    weights = suspicion_weights() if weights is None else weights
    return float(sum(weights.get(kind, 0) * n for kind, n in counts.items()))


def filter_choices() -> list[tuple[str, str | Promise]]:
    """What the timeline can be filtered by: every event kind, each evidence kind, audit."""
    return [*ProctorEvent.KINDS, *Evidence.KINDS, (AUDIT, _("作答记录（开始、收卷、审核）"))]


# --- review queue -------------------------------------------------------------------


@dataclass
class QueueRow:
    attempt: Attempt
    counts: dict[str, int]
    score: float
    snapshots: int
    phone_snapshots: int
    pending_void: bool
    masked_id: str

    @property
    def labelled_counts(self) -> list[tuple[str, int]]:
        labels = dict(ProctorEvent.KINDS)
        return [(str(labels.get(kind, kind)), n) for kind, n in sorted(self.counts.items())]


def session_review_queue(*, session_id: int) -> list[QueueRow]:
    """Every attempt of a session, most suspicious first (three queries in all)."""
    attempts = list(
        Attempt.objects.filter(session_id=session_id).select_related("registration__candidate").order_by("id")
    )
    counts: dict[int, dict[str, int]] = {}
    for attempt_id, kind, n in (
        ProctorEvent.objects.filter(attempt__session_id=session_id)
        .order_by()
        .values_list("attempt_id", "kind")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(attempt_id, {})[kind] = n
    evidence: dict[int, dict[str, int]] = {}
    for attempt_id, kind, n in (
        Evidence.objects.filter(attempt__session_id=session_id)
        .order_by()
        .values_list("attempt_id", "kind")
        .annotate(n=Count("id"))
    ):
        evidence.setdefault(attempt_id, {})[kind] = n
    pending = set(
        ReviewDecision.objects.filter(
            attempt__session_id=session_id, status=ReviewDecision.PENDING
        ).values_list("attempt_id", flat=True)
    )
    weights = suspicion_weights()
    rows = [
        QueueRow(
            attempt=a,
            counts=counts.get(a.id, {}),
            score=suspicion_score(counts.get(a.id, {}), weights),
            snapshots=evidence.get(a.id, {}).get(Evidence.SNAPSHOT, 0),
            phone_snapshots=evidence.get(a.id, {}).get(Evidence.PHONE_SNAPSHOT, 0),
            pending_void=a.id in pending,
            masked_id=idnumbers.mask(a.registration.candidate.id_number),
        )
        for a in attempts
    ]
    rows.sort(key=lambda r: (-r.score, r.attempt.id))
    return rows


# --- attempt timeline ---------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    label: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)
    evidence: Evidence | None = None
    client_time: datetime | None = None
    actor: str = ""
    reason: str = ""


@dataclass
class Timeline:
    attempt: Attempt
    items: list[TimelineItem]
    login_photo: Evidence | None
    registered_photo: RegisteredPhoto | None
    decisions: list[ReviewDecision]
    counts: dict[str, int]
    score: float


def _event_source(kind: str) -> str:
    if kind in ProctorEvent.CLIENT_KINDS:
        return SOURCE_COMPUTER
    if kind in (ProctorEvent.PHONE_CONNECTED, ProctorEvent.PHONE_LOST):
        return SOURCE_PHONE
    return SOURCE_SERVER


def attempt_timeline(*, attempt_id: int, kinds: set[str] | None = None) -> Timeline:
    """Events, evidence and audit rows of one attempt on one time axis (server time).

    ``kinds`` (from the page's filter) keeps only those kinds; None keeps everything.
    """
    attempt = Attempt.objects.select_related("session__batch", "registration__candidate").get(pk=attempt_id)
    event_labels = dict(ProctorEvent.KINDS)
    evidence_labels = dict(Evidence.KINDS)

    def wanted(kind: str) -> bool:
        return not kinds or kind in kinds

    items: list[TimelineItem] = []
    events = ProctorEvent.objects.filter(attempt_id=attempt_id)
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
        if wanted(event.kind):
            items.append(
                TimelineItem(
                    at=event.at,
                    kind=event.kind,
                    label=str(event_labels.get(event.kind, event.kind)),
                    source=_event_source(event.kind),
                    details=event.details,
                    client_time=event.client_time,
                )
            )
    all_evidence = list(Evidence.objects.filter(attempt_id=attempt_id))
    for evidence in all_evidence:
        if wanted(evidence.kind):
            items.append(
                TimelineItem(
                    at=evidence.received_at,
                    kind=evidence.kind,
                    label=str(evidence_labels.get(evidence.kind, evidence.kind)),
                    source=SOURCE_PHONE if evidence.kind == Evidence.PHONE_SNAPSHOT else SOURCE_COMPUTER,
                    evidence=evidence,
                    client_time=evidence.captured_at,
                )
            )
    if wanted(AUDIT):
        for row in AttemptAudit.objects.filter(
            attempt_id=attempt_id, action__in=AUDIT_ACTIONS
        ).select_related("actor"):
            items.append(
                TimelineItem(
                    at=row.at,
                    kind=AUDIT,
                    label=str(AuditAction(row.action).label),
                    source=SOURCE_SERVER,
                    details=row.details,
                    actor=row.actor.get_username() if row.actor else "",
                    reason=row.reason,
                )
            )
    items.sort(key=lambda i: i.at)
    login_photos = [e for e in all_evidence if e.kind == Evidence.LOGIN_PHOTO]
    return Timeline(
        attempt=attempt,
        items=items,
        login_photo=login_photos[-1] if login_photos else None,
        registered_photo=RegisteredPhoto.objects.filter(
            candidate_id=attempt.registration.candidate_id
        ).first(),
        decisions=list(
            ReviewDecision.objects.filter(attempt_id=attempt_id).select_related("reviewer", "confirmed_by")
        ),
        counts=counts,
        score=suspicion_score(counts),
    )


# --- results export -----------------------------------------------------------------


def decisions_for_session(session_id: int) -> dict[int, dict[str, Any]]:
    """Per attempt id of a session, the review decision for the results export.

    ``decision`` is the attempt's effective value ("", "clear", "warning", "voided"),
    ``label`` its Chinese name, ``reason``/``reviewer``/``confirmed_by``/``decided_at`` from
    the decision that took effect, ``pending_void`` when a void waits for confirmation.
    """
    labels = dict(Attempt.DECISIONS)
    attempts = Attempt.objects.filter(session_id=session_id).values_list("id", "decision")
    effective: dict[int, ReviewDecision] = {}
    for row in (
        ReviewDecision.objects.filter(attempt__session_id=session_id, status=ReviewDecision.EFFECTIVE)
        .select_related("reviewer", "confirmed_by")
        .order_by("at", "id")
    ):
        effective[row.attempt_id] = row  # the latest one wins
    pending = set(
        ReviewDecision.objects.filter(
            attempt__session_id=session_id, status=ReviewDecision.PENDING
        ).values_list("attempt_id", flat=True)
    )
    result: dict[int, dict[str, Any]] = {}
    for attempt_id, decision in attempts:
        latest = effective.get(attempt_id)
        result[attempt_id] = {
            "decision": decision or statuses.DECISION_NONE,
            "label": str(labels.get(decision or statuses.DECISION_NONE, "")),
            "reason": latest.reason if latest else "",
            "reviewer": latest.reviewer.get_username() if latest else "",
            "confirmed_by": latest.confirmed_by.get_username() if latest and latest.confirmed_by else "",
            "decided_at": (latest.confirmed_at or latest.at) if latest else None,
            "pending_void": attempt_id in pending,
        }
    return result
