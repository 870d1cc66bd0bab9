"""Reads for the live proctor wall (/monitor/<session>/): what proctoring adds to each tile
(latest snapshot, phone, alerts from stored events, required steps missing) and the timeline a
proctor opens from a tile.

Everything for a whole session is read with a fixed number of queries, whatever its size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from exams import statuses
from exams.models import Attempt, ExamSession
from exams.services import steps as exam_steps
from proctoring import selectors
from proctoring.alerts import ALERT_KINDS, alert_labels
from proctoring.models import Evidence, PhonePairing, ProctorEvent

# The steps are exams' (exams.services.steps): the same names the waive API takes.
STEP_PHOTO = exam_steps.LOGIN_PHOTO
STEP_PHONE = exam_steps.PHONE_MONITOR
STEP_SHEET = exam_steps.SCRATCH_PAPER
STEP_LABELS = exam_steps.STEP_LABELS
# The evidence that shows a step was done (until the attempt holds its own step state).
STEP_EVIDENCE = {Evidence.LOGIN_PHOTO: STEP_PHOTO, Evidence.SCRATCH_PAPER: STEP_SHEET}
THUMB_KINDS = (Evidence.SNAPSHOT, Evidence.LOGIN_PHOTO)

ALERTS_PER_TILE = 5
ALERTS_LOADED = 2000
FEED_LENGTH = 50
TIMELINE_EVENTS = 300
TIMELINE_EVIDENCE = 60


# --- required steps -------------------------------------------------------------------------


def session_required_steps(session: ExamSession) -> list[str]:
    """The steps a session requires before answering (exams' rule)."""
    return exam_steps.steps_required(session)


def attempt_step_state(attempt: Attempt, step: str) -> bool | None:
    """The step as the attempt records it: True when done or waived there; None otherwise, and
    the evidence on file decides (attempts from before the attempt held its steps)."""
    if step in (attempt.waived_steps or []) or exam_steps.step_is_done(attempt, step):
        return True
    return None


def attempt_steps_missing(*, attempt: Attempt, session: ExamSession, evidenced: set[str]) -> list[str]:
    """The required steps this candidate has not done (nor had waived); nothing before login."""
    if attempt.state in statuses.NEVER_LOGGED_IN or attempt.state == statuses.ABSENT:
        return []
    missing = []
    for step in session_required_steps(session):
        on_record = attempt_step_state(attempt, step)
        done = on_record if on_record is not None else step in evidenced
        if not done:
            missing.append(step)
    return missing


def _evidenced_steps(attempt_filter: dict[str, Any]) -> dict[int, set[str]]:
    """{attempt id: steps with evidence on file}: two queries."""
    done: dict[int, set[str]] = {}
    rows = (
        Evidence.objects.filter(kind__in=list(STEP_EVIDENCE), **attempt_filter)
        .order_by()
        .values_list("attempt_id", "kind")
        .distinct()
    )
    for attempt_id, kind in rows:
        done.setdefault(attempt_id, set()).add(STEP_EVIDENCE[kind])
    phones = (
        PhonePairing.objects.filter(used_at__isnull=False, **attempt_filter)
        .order_by()
        .values_list("attempt_id", flat=True)
        .distinct()
    )
    for attempt_id in phones:
        done.setdefault(attempt_id, set()).add(STEP_PHONE)
    return done


def attempt_steps_missing_now(*, attempt: Attempt) -> list[str]:
    """One attempt's missing steps (for a push after a step's evidence arrives)."""
    evidenced = _evidenced_steps({"attempt_id": attempt.id}).get(attempt.id, set())
    return attempt_steps_missing(attempt=attempt, session=attempt.session, evidenced=evidenced)


# --- tiles ----------------------------------------------------------------------------------


def thumb_url(evidence_id: int) -> str:
    return reverse("proctoring:evidence-thumb", args=[evidence_id])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _latest_thumbs(session_id: int) -> dict[int, tuple[int, datetime]]:
    """{attempt id: (evidence id, received at)} of each attempt's latest snapshot: one query."""
    latest = (
        Evidence.objects.filter(attempt__session_id=session_id, kind__in=THUMB_KINDS)
        .order_by()
        .values("attempt_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return {
        attempt_id: (evidence_id, received_at)
        for evidence_id, attempt_id, received_at in Evidence.objects.filter(id__in=latest).values_list(
            "id", "attempt_id", "received_at"
        )
    }


def alert_row(kind: str, at: datetime, details: object = None) -> dict[str, Any]:
    """An alert as the wall shows it; a phone event's label says more (which camera problem, why
    not a phone: ``selectors.phone_event_label``) and its ``reason`` goes along for the script."""
    shown = details if isinstance(details, dict) else {}
    row: dict[str, Any] = {"kind": kind, "label": selectors.phone_event_label(kind, shown), "at": at.isoformat()}
    if kind in selectors.PHONE_EVENT_KINDS and isinstance(shown.get("reason"), str):
        row["reason"] = shown["reason"]
    return row


def session_alerts(session_id: int, *, limit: int) -> list[tuple[int, str, datetime, Any]]:
    """The session's latest stored alert events, newest first: (attempt id, kind, at, details)."""
    return list(
        ProctorEvent.objects.filter(attempt__session_id=session_id, kind__in=ALERT_KINDS)
        .order_by("-at", "-id")
        .values_list("attempt_id", "kind", "at", "details")[:limit]
    )


def phone_labels() -> dict[str, Any]:
    """What the page's script needs to write a tile's phone in the request's language."""
    return {
        "status": {status: str(label) for status, label in selectors.PHONE_STATUS_LABELS.items()},
        "reason": {reason: str(label) for reason, label in selectors.PHONE_REASON_LABELS.items()},
        "not_a_phone_reason": {reason: str(label) for reason, label in selectors.NOT_A_PHONE_LABELS.items()},
        "detail": selectors.with_detail("{label}", "{detail}"),
        "since": _("自 %(time)s") % {"time": "{time}"},
        "lost": _("累计断开 %(n)s 分钟") % {"n": "{n}"},
        "takeovers": _("被其他设备接管 %(n)s 次") % {"n": "{n}"},
        "not_a_phone": _("非手机设备尝试 %(n)s 次") % {"n": "{n}"},
    }


def wall_tiles_extend(
    session: ExamSession, tiles: dict[int, dict[str, Any]], extras: dict[str, Any], now: datetime
) -> None:
    """Adds proctoring's fields to every tile and the alert feed, loaded from stored events,
    each alert naming its candidate (the exams wall's extension point)."""
    attempts = Attempt.objects.filter(session_id=session.id)
    evidenced = _evidenced_steps({"attempt__session_id": session.id})
    phones = selectors.phone_glances(session_id=session.id, now=now)
    thumbs = _latest_thumbs(session.id)
    alerts: dict[int, list[dict[str, Any]]] = {}
    counts: dict[int, int] = {}
    stored = session_alerts(session.id, limit=ALERTS_LOADED)
    for attempt_id, kind, at, details in stored:
        counts[attempt_id] = counts.get(attempt_id, 0) + 1
        shown = alerts.setdefault(attempt_id, [])
        if len(shown) < ALERTS_PER_TILE:
            shown.append(alert_row(kind, at, details))
    for attempt in attempts:
        tile = tiles.get(attempt.id)
        if tile is None:
            continue
        thumb = thumbs.get(attempt.id)
        glance = phones.get(attempt.id)
        tile.update(
            phone=glance.as_dict() if glance else None,
            thumb=thumb_url(thumb[0]) if thumb else None,
            thumb_at=_iso(thumb[1]) if thumb else None,
            steps_missing=attempt_steps_missing(
                attempt=attempt, session=session, evidenced=evidenced.get(attempt.id, set())
            ),
            alerts=alerts.get(attempt.id, []),
            alert_count=counts.get(attempt.id, 0),
        )
    extras["alert_labels"] = alert_labels()
    extras["phone_labels"] = phone_labels()
    extras["step_labels"] = {step: str(label) for step, label in STEP_LABELS.items()}
    extras["feed"] = [
        {**alert_row(kind, at, details), "when": at, "attempt": attempt_id,
         "name": tiles.get(attempt_id, {}).get("name", "")}
        for attempt_id, kind, at, details in stored[:FEED_LENGTH]
    ]


# --- a candidate's timeline -------------------------------------------------------------------


def wall_attempt_timeline(*, attempt: Attempt, with_evidence: bool) -> dict[str, Any]:
    """What a proctor sees after clicking a tile: the latest events and evidence, newest first."""
    events = (
        ProctorEvent.objects.filter(attempt_id=attempt.id)
        .order_by("-at", "-id")
        .values_list("kind", "at", "client_time", "details")[:TIMELINE_EVENTS]
    )
    out: dict[str, Any] = {
        "attempt": attempt.id,
        "name": attempt.registration.candidate.name,
        "state": attempt.state,
        "steps_missing": attempt_steps_missing_now(attempt=attempt),
        "steps_required": session_required_steps(attempt.session),
        "events": [
            {
                "kind": kind,
                "label": selectors.phone_event_label(kind, details),
                "alert": kind in ALERT_KINDS,
                "at": at.isoformat(),
                "client_time": _iso(client_time),
                "details": details,
            }
            for kind, at, client_time, details in events
        ],
        "evidence": [],
    }
    if with_evidence:
        evidence_labels = dict(Evidence.KINDS)
        rows = (
            Evidence.objects.filter(attempt_id=attempt.id)
            .order_by("-received_at", "-id")
            .values_list("id", "kind", "received_at")[:TIMELINE_EVIDENCE]
        )
        out["evidence"] = [
            {
                "id": evidence_id,
                "kind": kind,
                "label": str(evidence_labels.get(kind, kind)),
                "received_at": received_at.isoformat(),
                "thumb": thumb_url(evidence_id),
                "url": reverse("proctoring:evidence", args=[evidence_id]),
            }
            for evidence_id, kind, received_at in rows
        ]
    return out
