"""Phone monitor (鹰眼监控): one-time pairing links, heartbeats, snapshots, loss detection.

The candidate's computer asks for a pairing (``pairing_create``): a random token shown as a
QR code, bound to the attempt, expiring after ``PHONE_PAIRING_TTL``. The phone opens the
link and claims it once (``pairing_claim``); from then on the phone is identified by its
own cookie (a separate random key, never the candidate's exam session). The phone sends a
heartbeat every few seconds and a snapshot every ``PHONE_SNAPSHOT_SECONDS``.

Liveness is about images, not requests: heartbeats say the page is open, only good images
(proctoring.image_checks: not black, not uniform, not the previous image again) say the
camera works. A phone is lost from the moment either stops (``lost_at`` is when it stopped,
not when the sweep noticed) until a good image arrives again; the event that ends a loss
(``phone_connected`` with ``resumed`` or ``repaired``) carries its exact ``lost_seconds``.
A bad image starts a loss at once (``phone_camera_problem``, ``details.reason``); the sweep
(``phones_flag_lost``) starts one for a silent page (``phone_lost``, reason ``silent``) or
when good images stopped coming (reason ``no_images``). A claim from a browser that looks
like the candidate's own computer (the rules of ``proctoring.phone_rules``: the same cookie jar,
the same device fingerprint the computer reported with its QR code, a desktop user agent) is
refused (``not_a_phone``, event ``phone_not_a_phone`` with ``details.reason``); the phone page
must report its fingerprint and touch points to claim at all (``phone_facts_required``). A claim
by another device while a phone is live is a ``phone_takeover``.

Settings (optional, with defaults): ``PHONE_PAIRING_TTL`` (timedelta or seconds, 10 min),
``PHONE_HEARTBEAT_LOST_SECONDS`` (45), ``PHONE_HEARTBEAT_SECONDS`` (10),
``PHONE_SNAPSHOT_SECONDS`` (30).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from candidates.services import registration_device_check_note
from exams import live, rules, statuses
from exams.models import Attempt
from exams.services import steps
from exams.services.attempts import attempt_for_writer, attempt_lock
from exams.services.steps import attempt_step_done
from proctoring import exceptions as exc
from proctoring import image_checks, selectors, wall
from proctoring.models import Evidence, PhonePairing, ProctorEvent
from proctoring.phone_rules import (
    NEVER_PAIRED,
    NOT_A_PHONE,
    PHONE_REPORTABLE,
    REASON_NO_IMAGES,
    REASON_SILENT,
    fingerprint_hash,
    not_a_phone_reason,
    phone_required,
    status_of,
)
from proctoring.services.events import event_record_server, evidence_store


def pairing_ttl() -> timedelta:
    value = getattr(settings, "PHONE_PAIRING_TTL", timedelta(minutes=10))
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def heartbeat_lost_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "PHONE_HEARTBEAT_LOST_SECONDS", 45)))


def heartbeat_interval_seconds() -> int:
    return int(getattr(settings, "PHONE_HEARTBEAT_SECONDS", 10))


def phone_snapshot_interval_seconds() -> int:
    return int(getattr(settings, "PHONE_SNAPSHOT_SECONDS", 30))


def images_lost_after() -> timedelta:
    """No good image for two snapshot intervals (and some slack) counts as a lost camera."""
    return timedelta(seconds=2 * phone_snapshot_interval_seconds() + 15)


def secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_open(attempt: Attempt) -> None:
    if attempt.state not in statuses.OPEN:
        raise exc.AttemptNotOpen()


def pairing_create(*, attempt: Attempt, now: datetime, fingerprint: str = "") -> tuple[PhonePairing, str]:
    """A fresh one-time link for ``attempt``; returns the row and the raw token (shown once).

    ``fingerprint`` is the coarse device fingerprint the computer showing the QR code reports
    (its facts string; stored hashed): a phone reporting the same one is refused.
    Older links of the same attempt that were never used stop working.
    """
    _check_open(attempt)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        PhonePairing.objects.filter(attempt_id=attempt.id, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        pairing = PhonePairing.objects.create(
            attempt_id=attempt.id,
            token_hash=secret_hash(token),
            created_at=now,
            expires_at=now + pairing_ttl(),
            computer_fingerprint=fingerprint_hash(fingerprint),
        )
    return pairing, token


def candidate_pairing_create(
    *, attempt_id: int, client_id: str, now: datetime, fingerprint: str = ""
) -> tuple[PhonePairing, str]:
    """The candidate's current page asks for a QR code for its own attempt."""
    try:
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
    except Attempt.DoesNotExist:
        raise exc.AttemptNotOpen() from None
    _check_open(attempt)
    return pairing_create(attempt=attempt, now=now, fingerprint=fingerprint)


@dataclass(frozen=True)
class PhoneFacts:
    """What the device opening a pairing link tells about itself: its user agent (a header) and,
    once its page ran, its coarse fingerprint (facts string) and ``navigator.maxTouchPoints``."""

    user_agent: str = ""
    fingerprint: str = ""
    touch_points: int | None = None

    @property
    def reported(self) -> bool:
        return bool(self.fingerprint.strip()) and self.touch_points is not None


def pairing_check(
    *, token: str, now: datetime, candidate_attempt_id: int | None = None, facts: PhoneFacts = PhoneFacts()
) -> PhonePairing:
    """Would this link be accepted now? Raises the refusal the phone page shows.

    Opening the link (before its page reported anything) refuses what the user agent and the
    cookie jar already tell; the claim, with the page's facts, refuses the rest.
    """
    pairing = (
        PhonePairing.objects.select_related("attempt__session", "attempt__registration__candidate")
        .filter(token_hash=secret_hash(token or ""))
        .first()
    )
    if pairing is None:
        raise exc.PairingUnknown()
    _refuse_unusable(pairing, now=now, candidate_attempt_id=candidate_attempt_id)
    _refuse_not_a_phone(pairing, now=now, candidate_attempt_id=candidate_attempt_id, facts=facts)
    return pairing


def _refuse_unusable(pairing: PhonePairing, *, now: datetime, candidate_attempt_id: int | None) -> None:
    # A browser that is itself logged in as another candidate must not bind this attempt.
    if candidate_attempt_id is not None and candidate_attempt_id != pairing.attempt_id:
        raise exc.PairingForeign()
    if pairing.used_at is not None:
        raise exc.PairingUsed()
    if pairing.expires_at <= now:
        raise exc.PairingExpired()
    _check_open(pairing.attempt)


def _computer_fingerprints(attempt_id: int) -> frozenset[str]:
    """Every fingerprint the candidate's computer reported for this attempt (one per QR code)."""
    return frozenset(
        PhonePairing.objects.filter(attempt_id=attempt_id)
        .exclude(computer_fingerprint="")
        .values_list("computer_fingerprint", flat=True)
    )


def _refuse_not_a_phone(
    pairing: PhonePairing, *, now: datetime, candidate_attempt_id: int | None, facts: PhoneFacts
) -> None:
    """The candidate's own computer is not a phone (``phone_rules.not_a_phone_reason``).

    The refusal is recorded for staff (``phone_not_a_phone``) in its own transaction, so it
    stays although the request is refused.
    """
    fingerprint = fingerprint_hash(facts.fingerprint)
    reason = not_a_phone_reason(
        same_browser=candidate_attempt_id is not None and candidate_attempt_id == pairing.attempt_id,
        user_agent=facts.user_agent,
        touch_points=facts.touch_points,
        fingerprint=fingerprint,
        computer_fingerprints=_computer_fingerprints(pairing.attempt_id) if fingerprint else frozenset(),
    )
    if reason is None:
        return
    attempt = pairing.attempt
    details: dict[str, Any] = {
        "pairing": pairing.id,
        "reason": reason,
        "user_agent": (facts.user_agent or "")[:300],
    }
    if facts.touch_points is not None:
        details["touch_points"] = facts.touch_points
    with transaction.atomic():
        event_record_server(attempt=attempt, kind=ProctorEvent.PHONE_NOT_A_PHONE, now=now, details=details)
        _push(
            attempt_id=attempt.id,
            session_id=attempt.session_id,
            kind=ProctorEvent.PHONE_NOT_A_PHONE,
            now=now,
            details=details,
        )
    raise exc.NotAPhone()


def _candidate_name(attempt_id: int) -> str:
    name = Attempt.objects.filter(pk=attempt_id).values_list("registration__candidate__name", flat=True).first()
    return name or ""


def _push(*, attempt_id: int, session_id: int, kind: str, now: datetime, details: dict[str, Any]) -> None:
    """The candidate's pages get the new phone block, the monitor an alert naming the candidate
    and the wall's tile the candidate's phone at a glance (``selectors.phone_glances``, the one
    source of what staff see), and, once connected, the steps still missing."""
    live.push_to_attempt(attempt_id, {"type": "phone", **phone_block(attempt_id=attempt_id)})
    live.monitor_changed(
        session_id,
        {"kind": kind, "label": selectors.phone_event_label(kind, details), "attempt": attempt_id,
         "name": _candidate_name(attempt_id), "at": now.isoformat(), **details},
    )
    glance = selectors.phone_glances(session_id=session_id, now=now, attempt_id=attempt_id).get(attempt_id)
    fields: dict[str, Any] = {"phone": glance.as_dict() if glance else None}
    if kind in (ProctorEvent.PHONE_CONNECTED, ProctorEvent.PHONE_TAKEOVER):
        attempt = Attempt.objects.select_related("session").get(pk=attempt_id)
        fields["steps_missing"] = wall.attempt_steps_missing_now(attempt=attempt)
    live.monitor_tile(session_id, attempt_id, fields)


@dataclass
class Claim:
    pairing: PhonePairing
    phone_key: str
    repaired: bool


def pairing_claim(
    *, token: str, now: datetime, facts: PhoneFacts = PhoneFacts(), candidate_attempt_id: int | None = None
) -> Claim:
    """The phone claims its link, once. Returns the raw phone key for the phone's cookie.

    The phone page must have reported its facts (``phone_facts_required``), and they must not
    be those of the candidate's computer (``not_a_phone``). Claimed while another device's
    phone is live: a ``phone_takeover`` (the same device scanning again is a re-pairing).
    Claimed after a loss: a re-pairing, ``phone_connected`` with ``repaired`` and the gap's
    ``lost_seconds``.
    """
    token_hash = secret_hash(token or "")
    pairing_check(token=token, now=now, candidate_attempt_id=candidate_attempt_id)
    if not facts.reported:
        raise exc.PhoneFactsRequired()
    found = pairing_check(
        token=token, now=now, candidate_attempt_id=candidate_attempt_id, facts=facts
    ).attempt_id
    fingerprint = fingerprint_hash(facts.fingerprint)
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=found)  # serializes claims of one attempt
        pairing = PhonePairing.objects.select_for_update().get(token_hash=token_hash)
        pairing.attempt = attempt
        _refuse_unusable(pairing, now=now, candidate_attempt_id=candidate_attempt_id)
        previous = (
            PhonePairing.objects.filter(attempt_id=attempt.id, used_at__isnull=False, replaced_at__isnull=True)
            .order_by("-used_at", "-id")
            .first()
        )
        repaired = PhonePairing.objects.filter(attempt_id=attempt.id, used_at__isnull=False).exists()
        PhonePairing.objects.filter(attempt_id=attempt.id, used_at__isnull=False, replaced_at__isnull=True).update(
            replaced_at=now
        )
        phone_key = secrets.token_urlsafe(32)
        claimed = PhonePairing.objects.filter(pk=pairing.pk, used_at__isnull=True).update(
            used_at=now,
            phone_key_hash=secret_hash(phone_key),
            last_heartbeat_at=now,
            live_since=now,
            user_agent=(facts.user_agent or "")[:300],
            phone_fingerprint=fingerprint,
        )
        if claimed != 1:
            raise exc.PairingUsed()
        pairing.refresh_from_db()
        details: dict[str, Any] = {
            "pairing": pairing.id, "repaired": repaired, "user_agent": pairing.user_agent,
            "touch_points": facts.touch_points,
        }
        same_device = previous is not None and bool(fingerprint) and previous.phone_fingerprint == fingerprint
        if previous is not None and previous.lost_at is None and not same_device:
            kind = ProctorEvent.PHONE_TAKEOVER
            details["previous"] = previous.id
            details["previous_user_agent"] = previous.user_agent
        else:
            kind = ProctorEvent.PHONE_CONNECTED
            if previous is not None:
                details["previous"] = previous.id
                if previous.lost_at is not None:
                    details["lost_seconds"] = _seconds(now - previous.lost_at)
                if same_device:
                    details["same_device"] = True
        event_record_server(attempt=attempt, kind=kind, now=now, details=details)
        # The phone step is done for this attempt, wherever the candidate logs in next.
        attempt_step_done(attempt=attempt, step=steps.PHONE_MONITOR, now=now)
        _push(attempt_id=attempt.id, session_id=attempt.session_id, kind=kind, now=now, details=details)
        _device_check_note(attempt_id=attempt.id, key="phone_paired", now=now)
    return Claim(pairing=pairing, phone_key=phone_key, repaired=repaired)


def _device_check_note(*, attempt_id: int, key: str, now: datetime) -> None:
    """In a device-check session, the readiness result records what the phone achieved."""
    kind = Attempt.objects.filter(pk=attempt_id).values_list("session__kind", flat=True).first()
    if kind == rules.DEVICE_CHECK:
        registration_device_check_note(attempt_id=attempt_id, key=key, value=True, now=now)


def _seconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def pairing_for_phone(*, phone_key: str) -> PhonePairing | None:
    """The pairing a phone's cookie names (claimed links only), or None."""
    if not phone_key:
        return None
    return (
        PhonePairing.objects.select_related("attempt__session")
        .filter(phone_key_hash=secret_hash(phone_key), used_at__isnull=False)
        .first()
    )


def _active_pairing(pairing_id: int, *, lock: bool = False) -> PhonePairing:
    rows = PhonePairing.objects.select_related("attempt").filter(pk=pairing_id)
    pairing = (rows.select_for_update(of=("self",)) if lock else rows).first()
    if pairing is None:
        raise exc.PhoneNotPaired()
    if pairing.replaced_at is not None:
        raise exc.PhoneReplaced()
    _check_open(pairing.attempt)
    return pairing


def phone_heartbeat(*, pairing_id: int, now: datetime, problem: str = "") -> None:
    """The phone's page is open. It does not end a loss: only a good image does.

    ``problem`` is what the phone page itself saw (``PHONE_REPORTABLE``): its camera stopped
    or its picture is black, uniform or frozen; that starts a camera loss at once.
    The usual case is one conditional UPDATE; refusals and problems take the slow path.
    """
    if not problem:
        alive = PhonePairing.objects.filter(
            pk=pairing_id, replaced_at__isnull=True, attempt__state__in=statuses.OPEN
        ).update(last_heartbeat_at=now)
        if alive:
            return
    after: Pushes = []
    with transaction.atomic():
        pairing = _active_pairing(pairing_id, lock=True)  # raises: unknown, replaced, or exam over
        pairing.last_heartbeat_at = now
        fields = ["last_heartbeat_at"]
        if problem in PHONE_REPORTABLE:
            fields += _camera_problem(pairing, reason=problem, now=now, source="phone", after=after)
        pairing.save(update_fields=fields)
        _push_all(pairing, now=now, after=after)


Pushes = list[tuple[str, dict[str, Any]]]


def _camera_problem(
    pairing: PhonePairing, *, reason: str, now: datetime, source: str, after: Pushes
) -> list[str]:
    """Start (or re-qualify) a camera loss; returns the changed fields (the caller saves, then
    pushes what ``after`` collected)."""
    if pairing.lost_at is not None and pairing.lost_reason == reason:
        return []
    fields = ["lost_reason"]
    if pairing.lost_at is None:
        pairing.lost_at = now
        fields.append("lost_at")
    pairing.lost_reason = reason
    details = {"pairing": pairing.id, "reason": reason, "source": source}
    event_record_server(attempt=pairing.attempt, kind=ProctorEvent.PHONE_CAMERA_PROBLEM, now=now, details=details)
    after.append((ProctorEvent.PHONE_CAMERA_PROBLEM, details))
    return fields


class _Upload(Protocol):
    size: int | None

    def read(self, size: int = ...) -> bytes: ...


def phone_snapshot_store(
    *, pairing_id: int, upload: _Upload, now: datetime, capture_id: str = "", captured_at: Any = None
) -> Evidence:
    """A snapshot from the phone's camera: stored, then judged (black, uniform, frozen).

    A good image ends a loss (``phone_connected`` with ``resumed`` and ``lost_seconds``); a
    bad one starts a camera loss (``phone_camera_problem``). Either way it is a heartbeat.
    A repeated upload (same ``capture_id``) is stored once and judged once.
    """
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise exc.UploadTooLarge()
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    pairing = _active_pairing(pairing_id)
    repeated = (
        bool(capture_id)
        and Evidence.objects.filter(attempt_id=pairing.attempt_id, capture_id=str(capture_id)[:64]).exists()
    )
    evidence = evidence_store(
        attempt=pairing.attempt,
        kind=Evidence.PHONE_SNAPSHOT,
        data=data,
        now=now,
        capture_id=str(capture_id or ""),
        captured_at=captured_at,
    )
    if repeated:
        phone_heartbeat(pairing_id=pairing_id, now=now)
        return evidence
    signature = image_checks.signature(data)
    after: Pushes = []
    with transaction.atomic():
        pairing = _active_pairing(pairing_id, lock=True)
        previous = bytes(pairing.last_image_signature) if pairing.last_image_signature else None
        problem = image_checks.problem(signature, previous)
        pairing.last_image_signature = signature
        pairing.last_heartbeat_at = now
        fields = ["last_image_signature", "last_heartbeat_at"]
        if problem:
            fields += _camera_problem(pairing, reason=problem, now=now, source="server", after=after)
        else:
            if pairing.last_good_image_at is None:
                _device_check_note(attempt_id=pairing.attempt_id, key="phone_good_image", now=now)
            pairing.last_good_image_at = now
            fields.append("last_good_image_at")
            if pairing.lost_at is not None:
                fields += _resumed(pairing, now=now, after=after)
        pairing.save(update_fields=fields)
        _push_all(pairing, now=now, after=after)
    return evidence


def _push_all(pairing: PhonePairing, *, now: datetime, after: Pushes) -> None:
    for kind, details in after:
        _push(attempt_id=pairing.attempt_id, session_id=pairing.attempt.session_id, kind=kind, now=now, details=details)


def _resumed(pairing: PhonePairing, *, now: datetime, after: Pushes) -> list[str]:
    assert pairing.lost_at is not None
    details = {
        "pairing": pairing.id,
        "repaired": False,
        "resumed": True,
        "reason": pairing.lost_reason,
        "lost_seconds": _seconds(now - pairing.lost_at),
    }
    pairing.lost_at = None
    pairing.lost_reason = ""
    pairing.live_since = now
    event_record_server(attempt=pairing.attempt, kind=ProctorEvent.PHONE_CONNECTED, now=now, details=details)
    after.append((ProctorEvent.PHONE_CONNECTED, details))
    return ["lost_at", "lost_reason", "live_since"]


def phones_flag_lost(*, now: datetime) -> int:
    """Start a loss for phones whose page went silent or whose good images stopped.

    The loss starts when the heartbeats (or good images) stopped, not when the sweep noticed.
    Each flag is a conditional UPDATE, so two sweeps at once flag a phone once.
    """
    from django.db.models import Q

    cutoff = now - heartbeat_lost_after()
    image_cutoff = now - images_lost_after()
    due = list(
        PhonePairing.objects.filter(
            Q(last_heartbeat_at__lt=cutoff)
            | Q(last_good_image_at__lt=image_cutoff)
            | Q(last_good_image_at__isnull=True, used_at__lt=image_cutoff),
            used_at__isnull=False,
            lost_at__isnull=True,
            replaced_at__isnull=True,
            attempt__state__in=statuses.OPEN,
        ).values_list("id", "attempt_id", "attempt__session_id", "last_heartbeat_at", "last_good_image_at", "used_at")[
            :5000
        ]
    )
    flagged = 0
    for pairing_id, attempt_id, session_id, last_heartbeat_at, last_good_image_at, used_at in due:
        since: datetime
        if last_heartbeat_at is not None and last_heartbeat_at < cutoff:
            reason, since = REASON_SILENT, last_heartbeat_at
            kind = ProctorEvent.PHONE_LOST
        else:
            reason, since = REASON_NO_IMAGES, last_good_image_at or used_at or now
            kind = ProctorEvent.PHONE_CAMERA_PROBLEM
        with transaction.atomic():
            won = PhonePairing.objects.filter(
                pk=pairing_id,
                lost_at__isnull=True,
                replaced_at__isnull=True,
                last_heartbeat_at=last_heartbeat_at,
            ).update(lost_at=since, lost_reason=reason)
            if not won:
                continue
            details: dict[str, Any] = {"pairing": pairing_id, "reason": reason}
            if reason == REASON_SILENT:
                details["silent_seconds"] = _seconds(now - since)
            else:
                details["seconds_without_image"] = _seconds(now - since)
            ProctorEvent.objects.create(attempt_id=attempt_id, kind=kind, at=now, details=details)
            _push(attempt_id=attempt_id, session_id=session_id, kind=kind, now=now, details=details)
            flagged += 1
    return flagged


def phone_block(*, attempt_id: int, session: Any = None) -> dict[str, Any]:
    """``{"required", "status", "since"}`` for the candidate's pages (API, socket, pushes)."""
    if session is None:
        attempt = Attempt.objects.select_related("session").only("session").get(pk=attempt_id)
        session = attempt.session
    latest = (
        PhonePairing.objects.filter(attempt_id=attempt_id, used_at__isnull=False, replaced_at__isnull=True)
        .order_by("-used_at", "-id")
        .first()
    )
    if latest is not None:
        status = status_of(latest)
        since = latest.lost_at if latest.lost_at else (latest.live_since or latest.used_at)
    else:
        refused = (
            ProctorEvent.objects.filter(attempt_id=attempt_id, kind=ProctorEvent.PHONE_NOT_A_PHONE)
            .order_by("-at", "-id")
            .values_list("at", flat=True)
            .first()
        )
        status, since = (NOT_A_PHONE, refused) if refused else (NEVER_PAIRED, None)
    return {
        "required": phone_required(session),
        "status": status,
        "since": since.isoformat() if since else None,
    }


def phone_block_for_attempt(attempt: Attempt) -> dict[str, Any]:
    return phone_block(attempt_id=attempt.id, session=attempt.session)


def phone_status(*, attempt_id: int, now: datetime) -> dict[str, Any]:
    """The pairing widget's view: the phone block and whether an unused QR code is valid."""
    waiting = PhonePairing.objects.filter(attempt_id=attempt_id, used_at__isnull=True, expires_at__gt=now).exists()
    return {**phone_block(attempt_id=attempt_id), "waiting": waiting}
