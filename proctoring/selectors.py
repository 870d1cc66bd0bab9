"""Reads for the review console (审核) and the results export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.utils import timezone as dj_timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from candidates import idnumbers
from exams import statuses
from exams.audit import AuditAction
from exams.models import Attempt, AttemptAudit
from exams.services import steps
from proctoring import phone_rules
from proctoring.models import Evidence, PhonePairing, ProctorEvent, RegisteredPhoto, ReviewDecision

MISSING_EVIDENCE = "missing_evidence"
NO_SNAPSHOTS = "no_snapshots"
PHONE_LOST_MINUTE = "phone_lost_minute"
# The evidence kinds that show a required step was done.
STEP_EVIDENCE = {
    steps.LOGIN_PHOTO: (Evidence.LOGIN_PHOTO,),
    steps.SCRATCH_PAPER: (Evidence.SCRATCH_PAPER,),
    steps.PHONE_MONITOR: (Evidence.PHONE_SNAPSHOT,),
}
PENALTY_LABELS = {
    MISSING_EVIDENCE: _("缺少必需的监控资料"),
    NO_SNAPSHOTS: _("没有摄像头抓拍"),
    PHONE_LOST_MINUTE: _("手机监控断开（分钟）"),
}
ANSWERED_STATES = (statuses.IN_PROGRESS, statuses.SUBMITTED, statuses.COLLECTED)

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
    ProctorEvent.PHONE_CAMERA_PROBLEM: 4,
    ProctorEvent.PHONE_NOT_A_PHONE: 3,
    ProctorEvent.PHONE_TAKEOVER: 3,
    ProctorEvent.LOUD_SOUND: 3,
    ProctorEvent.LOCK: 5,
    ProctorEvent.RELOGIN_ELSEWHERE: 5,
    ProctorEvent.LEAVE_LIMIT_BY_LOGIN: 5,
    # Not event kinds: each required step without its evidence (waived or not), an attempt that
    # answered with no camera snapshot at all, and each minute the phone monitor was lost.
    MISSING_EVIDENCE: 10,
    NO_SNAPSHOTS: 10,
    PHONE_LOST_MINUTE: 1,
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


def event_label(kind: str) -> str:
    """The readable name of an event kind (Chinese source, English through i18n): the one
    mapping is ``ProctorEvent.KINDS``; unknown kinds show as themselves."""
    return str(dict(ProctorEvent.KINDS).get(kind, kind))


# --- phones at a glance (review queue, the proctor wall) -----------------------------

PHONE_STATUS_LABELS = {
    phone_rules.NEVER_PAIRED: _("未连接手机"),
    phone_rules.LIVE: _("手机监控正常"),
    phone_rules.LOST: _("手机断开"),
    phone_rules.CAMERA_PROBLEM: _("手机画面异常"),
    phone_rules.NOT_A_PHONE: _("非手机设备"),
}
PHONE_REASON_LABELS = {
    "black": _("黑屏"),
    "uniform": _("画面单一（镜头被遮挡）"),
    "frozen": _("画面静止不变"),
    "stopped": _("摄像头已停止"),
    "no_images": _("收不到画面"),
    "silent": _("页面无响应"),
}
NOT_A_PHONE_LABELS = {
    phone_rules.SAME_BROWSER: _("考生电脑上的同一浏览器"),
    phone_rules.DESKTOP_USER_AGENT: _("电脑浏览器"),
    phone_rules.FINGERPRINT: _("与考生电脑的设备特征相同"),
}
PHONE_EVENT_KINDS = (
    ProctorEvent.PHONE_CONNECTED,
    ProctorEvent.PHONE_LOST,
    ProctorEvent.PHONE_CAMERA_PROBLEM,
    ProctorEvent.PHONE_NOT_A_PHONE,
    ProctorEvent.PHONE_TAKEOVER,
)
# The events that start a loss (the phone's page went silent, or its camera failed).
LOSS_KINDS = (ProctorEvent.PHONE_LOST, ProctorEvent.PHONE_CAMERA_PROBLEM)


def with_detail(label: str | Promise, detail: str | Promise) -> str:
    """``手机画面异常：黑屏`` (``Phone picture problem: black`` in English)."""
    return _("%(label)s：%(detail)s") % {"label": label, "detail": detail}


@dataclass
class PhoneGlance:
    """One attempt's phone for staff: state since when, total time lost, takeovers."""

    status: str
    since: datetime | None
    reason: str
    lost_seconds: int
    takeovers: int
    not_a_phone: int
    required: bool
    time_zone: str = ""

    @property
    def lost_minutes(self) -> int:
        return (self.lost_seconds + 59) // 60

    @property
    def label(self) -> str:
        text = str(PHONE_STATUS_LABELS.get(self.status, self.status))
        if self.reason in PHONE_REASON_LABELS and self.status == phone_rules.CAMERA_PROBLEM:
            text = with_detail(text, PHONE_REASON_LABELS[self.reason])
        return text

    @property
    def alarming(self) -> bool:
        return self.status != phone_rules.LIVE and (
            self.required or self.status != phone_rules.NEVER_PAIRED
        )

    @property
    def since_time(self) -> str:
        """``since`` as HH:MM in the batch's time zone (what the wall's tile shows)."""
        if self.since is None:
            return ""
        zone = ZoneInfo(self.time_zone) if self.time_zone else dj_timezone.get_current_timezone()
        return self.since.astimezone(zone).strftime("%H:%M")

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "label": self.label,
            "since": self.since.isoformat() if self.since else None,
            "since_time": self.since_time,
            "reason": self.reason,
            "lost_seconds": self.lost_seconds,
            "lost_minutes": self.lost_minutes,
            "takeovers": self.takeovers,
            "not_a_phone": self.not_a_phone,
            "required": self.required,
            "alarming": self.alarming,
        }


def phone_glances(
    *, session_id: int, now: datetime, attempt_id: int | None = None
) -> dict[int, PhoneGlance]:
    """Per attempt id of a session (or just ``attempt_id``), its phone at a glance, loaded from
    the pairings and events (four queries, whatever the session's size), so a page reloaded
    shows what a live push showed. The one source of what staff see of phones: the wall's tiles
    (loaded and pushed), the review queue and the review page.

    ``lost_seconds`` (``_phone_lost_seconds``) adds the losses that ended and a loss still going
    on, counted to the attempt's end (its finish, or ``now``, at most its deadline).
    """
    from exams.models import ExamSession

    session = ExamSession.objects.select_related("batch").get(pk=session_id)
    required = phone_rules.phone_required(session)
    time_zone = session.batch.time_zone
    attempts = Attempt.objects.filter(session_id=session_id)
    if attempt_id is not None:
        attempts = attempts.filter(pk=attempt_id)
    result: dict[int, PhoneGlance] = {}
    ends: dict[int, datetime] = {}
    for found, finished_at, deadline in attempts.values_list("id", "finished_at", "deadline"):
        result[found] = PhoneGlance(phone_rules.NEVER_PAIRED, None, "", 0, 0, 0, required, time_zone)
        ends[found] = min(finished_at or now, deadline) if deadline else (finished_at or now)
    scope: dict[str, Any] = {"attempt__session_id": session_id}
    if attempt_id is not None:
        scope = {"attempt_id": attempt_id}
    events = list(
        ProctorEvent.objects.filter(kind__in=PHONE_EVENT_KINDS, **scope)
        .order_by("at", "id")
        .values_list("attempt_id", "kind", "at", "details")
    )
    for found, kind, at, _details in events:
        glance = result.get(found)
        if glance is None:
            continue
        if kind == ProctorEvent.PHONE_TAKEOVER:
            glance.takeovers += 1
        elif kind == ProctorEvent.PHONE_NOT_A_PHONE:
            glance.not_a_phone += 1
            if glance.status in (phone_rules.NEVER_PAIRED, phone_rules.NOT_A_PHONE):
                glance.status, glance.since = phone_rules.NOT_A_PHONE, at
    for found, seconds in _lost_seconds_of(events, ends=ends).items():
        if found in result:
            result[found].lost_seconds = seconds
    for pairing in PhonePairing.objects.filter(used_at__isnull=False, replaced_at__isnull=True, **scope).only(
        "attempt_id", "used_at", "live_since", "lost_at", "lost_reason"
    ):
        glance = result.get(pairing.attempt_id)
        if glance is None:
            continue
        glance.status = phone_rules.status_of(pairing)
        glance.reason = pairing.lost_reason
        glance.since = pairing.lost_at or pairing.live_since or pairing.used_at
    return result


def phone_event_label(kind: str, details: dict[str, Any] | None) -> str:
    """An event's readable label (``event_label``); a phone event says more: which camera
    problem (黑屏, 画面静止不变, ...), why a device is not a phone, how long a loss lasted."""
    label = event_label(kind)
    details = details if isinstance(details, dict) else {}
    reason = details.get("reason")
    if kind == ProctorEvent.PHONE_CAMERA_PROBLEM and isinstance(reason, str) and reason in PHONE_REASON_LABELS:
        label = with_detail(label, PHONE_REASON_LABELS[reason])
    elif kind == ProctorEvent.PHONE_NOT_A_PHONE and isinstance(reason, str) and reason in NOT_A_PHONE_LABELS:
        label = with_detail(label, NOT_A_PHONE_LABELS[reason])
    elif kind == ProctorEvent.PHONE_CONNECTED:
        lost = details.get("lost_seconds")
        if isinstance(lost, int) and lost > 0:
            label = f"{label}{_('（此前断开 %(n)s 秒）') % {'n': lost}}"
    return label


def suspicion_weights() -> dict[str, float]:
    """``settings.PROCTORING_SUSPICION_WEIGHTS`` overrides the defaults kind by kind."""
    weights = dict(DEFAULT_SUSPICION_WEIGHTS)
    weights.update(getattr(settings, "PROCTORING_SUSPICION_WEIGHTS", {}) or {})
    return weights


def suspicion_score(counts: dict[str, int], weights: dict[str, float] | None = None) -> float:
    weights = suspicion_weights() if weights is None else weights
    return float(sum(weights.get(kind, 0) * n for kind, n in counts.items()))


def evidence_penalties(
    *, attempt: Attempt, evidence_counts: dict[str, int], phone_lost_seconds: int
) -> dict[str, int]:
    """Counts of the score's non-event items for one attempt (what is missing, phone minutes)."""
    out: dict[str, int] = {}
    if attempt.state in ANSWERED_STATES:
        missing = sum(
            1 for step in steps.steps_required(attempt.session)
            if not any(evidence_counts.get(kind, 0) for kind in STEP_EVIDENCE[step])
        )
        if missing:
            out[MISSING_EVIDENCE] = missing
        if not evidence_counts.get(Evidence.SNAPSHOT, 0):
            out[NO_SNAPSHOTS] = 1
    minutes = phone_lost_seconds // 60
    if minutes:
        out[PHONE_LOST_MINUTE] = minutes
    return out


def _loss_start(at: datetime, details: object) -> datetime:
    """When a loss began: the sweep notices a silent page or missing images later than they
    stopped, and its event says by how much (``silent_seconds``, ``seconds_without_image``)."""
    back = 0
    if isinstance(details, dict):
        value = details.get("silent_seconds", details.get("seconds_without_image", 0))
        back = value if isinstance(value, int) and value > 0 else 0
    return at - timedelta(seconds=back)


def _lost_seconds_of(
    events: list[tuple[int, str, datetime, Any]], *, ends: dict[int, datetime] | None = None
) -> dict[int, int]:
    """Per attempt, the seconds its phone monitor was lost, from its phone events in time order:
    each loss that ended (the ``phone_connected`` that resumed or re-paired it carries the exact
    ``lost_seconds``), plus a loss still open (``phone_lost`` or ``phone_camera_problem`` not
    followed by a ``phone_connected``), counted from its start to the attempt's end in ``ends``."""
    out: dict[int, int] = {}
    open_since: dict[int, datetime] = {}
    for attempt_id, kind, at, details in events:
        if kind in LOSS_KINDS:
            open_since.setdefault(attempt_id, _loss_start(at, details))
        elif kind == ProctorEvent.PHONE_CONNECTED:
            open_since.pop(attempt_id, None)
            lost = details.get("lost_seconds") if isinstance(details, dict) else None
            if isinstance(lost, int) and lost > 0:
                out[attempt_id] = out.get(attempt_id, 0) + lost
    for attempt_id, since in open_since.items():
        end = (ends or {}).get(attempt_id)
        if end is not None and end > since:
            out[attempt_id] = out.get(attempt_id, 0) + int((end - since).total_seconds())
    return out


def _phone_lost_seconds(events: Any, *, ends: dict[int, datetime] | None = None) -> dict[int, int]:
    """``_lost_seconds_of`` for a queryset of events (one query)."""
    rows = list(
        events.filter(kind__in=(ProctorEvent.PHONE_CONNECTED, *LOSS_KINDS))
        .order_by("at", "id")
        .values_list("attempt_id", "kind", "at", "details")
    )
    return _lost_seconds_of(rows, ends=ends)


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
    phone: PhoneGlance | None = None

    @property
    def labelled_counts(self) -> list[tuple[str, int]]:
        labels = {**dict(ProctorEvent.KINDS), **PENALTY_LABELS}
        return [(str(labels.get(kind, kind)), n) for kind, n in sorted(self.counts.items())]


def session_review_queue(*, session_id: int, now: datetime | None = None) -> list[QueueRow]:
    """Every attempt of a session, most suspicious first, with its phone at a glance."""
    attempts = list(
        Attempt.objects.filter(session_id=session_id)
        .select_related("registration__candidate", "session")
        .order_by("id")
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
    ends: dict[int, datetime] = {}
    for a in attempts:
        end = a.finished_at or now
        if end is not None:
            ends[a.id] = min(end, a.deadline)
    lost = _phone_lost_seconds(ProctorEvent.objects.filter(attempt__session_id=session_id), ends=ends)
    for a in attempts:
        penalties = evidence_penalties(
            attempt=a, evidence_counts=evidence.get(a.id, {}), phone_lost_seconds=lost.get(a.id, 0)
        )
        if penalties:
            counts[a.id] = {**counts.get(a.id, {}), **penalties}
    phones = phone_glances(session_id=session_id, now=now) if now is not None else {}
    rows = [
        QueueRow(
            attempt=a,
            counts=counts.get(a.id, {}),
            score=suspicion_score(counts.get(a.id, {}), weights),
            snapshots=evidence.get(a.id, {}).get(Evidence.SNAPSHOT, 0),
            phone_snapshots=evidence.get(a.id, {}).get(Evidence.PHONE_SNAPSHOT, 0),
            pending_void=a.id in pending,
            masked_id=idnumbers.mask(a.registration.candidate.id_number),
            phone=phones.get(a.id),
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
    if kind in (
        ProctorEvent.PHONE_CONNECTED, ProctorEvent.PHONE_LOST, ProctorEvent.PHONE_CAMERA_PROBLEM,
        ProctorEvent.PHONE_NOT_A_PHONE, ProctorEvent.PHONE_TAKEOVER,
    ):
        return SOURCE_PHONE
    return SOURCE_SERVER


def attempt_timeline(*, attempt_id: int, kinds: set[str] | None = None) -> Timeline:
    """Events, evidence and audit rows of one attempt on one time axis (server time).

    ``kinds`` (from the page's filter) keeps only those kinds; None keeps everything.
    """
    attempt = Attempt.objects.select_related("session__batch", "registration__candidate").get(pk=attempt_id)
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
                    label=phone_event_label(event.kind, event.details),
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
    evidence_counts: dict[str, int] = {}
    for e in all_evidence:
        evidence_counts[e.kind] = evidence_counts.get(e.kind, 0) + 1
    counts.update(evidence_penalties(
        attempt=attempt, evidence_counts=evidence_counts,
        phone_lost_seconds=_phone_lost_seconds(
            events, ends={attempt.id: attempt.finished_at} if attempt.finished_at else None
        ).get(attempt.id, 0),
    ))
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def attempt_timeline_page(
    *, attempt_id: int, limit: int, offset: int, evidence_limit: int, evidence_offset: int
) -> dict[str, Any]:
    """One page of an attempt's events and of its evidence, oldest first (the timeline API)."""
    events = ProctorEvent.objects.filter(attempt_id=attempt_id).order_by("at", "id")
    evidence = Evidence.objects.filter(attempt_id=attempt_id).order_by("received_at", "id")
    return {
        "events": [
            {"kind": e.kind, "at": _iso(e.at), "client_time": _iso(e.client_time), "details": e.details}
            for e in events[offset:offset + limit]
        ],
        "events_total": events.count(),
        "evidence": [
            {"id": e.id, "kind": e.kind, "at": _iso(e.received_at), "client_time": _iso(e.captured_at),
             "width": e.width, "height": e.height}
            for e in evidence[evidence_offset:evidence_offset + evidence_limit]
        ],
        "evidence_total": evidence.count(),
    }


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
