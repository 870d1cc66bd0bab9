"""Phone monitor (鹰眼监控): one-time pairing links, heartbeats, snapshots, loss detection.

The candidate's computer asks for a pairing (``pairing_create``): a random token shown as a
QR code, bound to the attempt, expiring after ``PHONE_PAIRING_TTL``. The phone opens the
link and claims it once (``pairing_claim``); from then on the phone is identified by its
own cookie (a separate random key, never the candidate's exam session). The phone sends a
heartbeat every few seconds; the sweep calls ``phones_flag_lost`` to flag a phone that has
gone quiet for ``PHONE_HEARTBEAT_LOST_SECONDS``, once per loss.

Settings (optional, with defaults): ``PHONE_PAIRING_TTL`` (timedelta or seconds, 10 min),
``PHONE_HEARTBEAT_LOST_SECONDS`` (45), ``PHONE_HEARTBEAT_SECONDS`` (10),
``PHONE_SNAPSHOT_SECONDS`` (30).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from exams import live, statuses
from exams.models import Attempt
from exams.services import steps
from exams.services.attempts import attempt_for_writer, attempt_lock
from exams.services.steps import attempt_step_done
from proctoring import exceptions as exc
from proctoring import wall
from proctoring.models import Evidence, PhonePairing, ProctorEvent
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


def secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_open(attempt: Attempt) -> None:
    if attempt.state not in statuses.OPEN:
        raise exc.AttemptNotOpen()


def pairing_create(*, attempt: Attempt, now: datetime) -> tuple[PhonePairing, str]:
    """A fresh one-time link for ``attempt``; returns the row and the raw token (shown once).

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
        )
    return pairing, token


def candidate_pairing_create(*, attempt_id: int, client_id: str, now: datetime) -> tuple[PhonePairing, str]:
    """The candidate's current page asks for a QR code for its own attempt."""
    try:
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
    except Attempt.DoesNotExist:
        raise exc.AttemptNotOpen() from None
    _check_open(attempt)
    return pairing_create(attempt=attempt, now=now)


def pairing_check(*, token: str, now: datetime, candidate_attempt_id: int | None = None) -> PhonePairing:
    """Would this link be accepted now? Raises the refusal the phone page shows."""
    pairing = (
        PhonePairing.objects.select_related("attempt__session", "attempt__registration__candidate")
        .filter(token_hash=secret_hash(token or ""))
        .first()
    )
    if pairing is None:
        raise exc.PairingUnknown()
    _refuse_unusable(pairing, now=now, candidate_attempt_id=candidate_attempt_id)
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


@dataclass
class Claim:
    pairing: PhonePairing
    phone_key: str
    repaired: bool


def pairing_claim(
    *, token: str, now: datetime, user_agent: str = "", candidate_attempt_id: int | None = None
) -> Claim:
    """The phone claims its link, once. Returns the raw phone key for the phone's cookie."""
    token_hash = secret_hash(token or "")
    with transaction.atomic():
        found = (
            PhonePairing.objects.filter(token_hash=token_hash).values_list("attempt_id", flat=True).first()
        )
        if found is None:
            raise exc.PairingUnknown()
        attempt = attempt_lock(attempt_id=found)  # serializes claims of one attempt
        pairing = PhonePairing.objects.select_for_update().get(token_hash=token_hash)
        pairing.attempt = attempt
        _refuse_unusable(pairing, now=now, candidate_attempt_id=candidate_attempt_id)
        repaired = PhonePairing.objects.filter(attempt_id=attempt.id, used_at__isnull=False).exists()
        PhonePairing.objects.filter(
            attempt_id=attempt.id, used_at__isnull=False, replaced_at__isnull=True
        ).update(replaced_at=now)
        phone_key = secrets.token_urlsafe(32)
        claimed = PhonePairing.objects.filter(pk=pairing.pk, used_at__isnull=True).update(
            used_at=now,
            phone_key_hash=secret_hash(phone_key),
            last_heartbeat_at=now,
            user_agent=(user_agent or "")[:300],
        )
        if claimed != 1:
            raise exc.PairingUsed()
        pairing.refresh_from_db()
        _connected(attempt=attempt, pairing=pairing, now=now, details={"repaired": repaired})
        attempt_step_done(attempt=attempt, step=steps.PHONE_MONITOR, now=now)
    return Claim(pairing=pairing, phone_key=phone_key, repaired=repaired)


def _connected(*, attempt: Attempt, pairing: PhonePairing, now: datetime, details: dict[str, Any]) -> None:
    event_record_server(
        attempt=attempt,
        kind=ProctorEvent.PHONE_CONNECTED,
        now=now,
        details={"pairing": pairing.id, **details},
    )
    live.push_to_attempt(attempt.id, {"type": "phone", "status": "connected"})
    live.monitor_tile(
        attempt.session_id, attempt.id,
        {"phone": wall.PHONE_CONNECTED, "steps_missing": wall.attempt_steps_missing_now(attempt=attempt)},
    )
    live.monitor_changed(
        attempt.session_id,
        {"kind": ProctorEvent.PHONE_CONNECTED, "attempt": attempt.id, "at": now.isoformat(), **details},
    )


def pairing_for_phone(*, phone_key: str) -> PhonePairing | None:
    """The pairing a phone's cookie names (claimed links only), or None."""
    if not phone_key:
        return None
    return (
        PhonePairing.objects.select_related("attempt__session")
        .filter(phone_key_hash=secret_hash(phone_key), used_at__isnull=False)
        .first()
    )


def _active_pairing(pairing_id: int) -> PhonePairing:
    pairing = (
        PhonePairing.objects.select_related("attempt")
        .only("id", "attempt_id", "replaced_at", "lost_at", "attempt__state", "attempt__session_id")
        .filter(pk=pairing_id)
        .first()
    )
    if pairing is None:
        raise exc.PhoneNotPaired()
    if pairing.replaced_at is not None:
        raise exc.PhoneReplaced()
    _check_open(pairing.attempt)
    return pairing


def phone_heartbeat(*, pairing_id: int, now: datetime) -> None:
    """The phone is alive. A phone that was flagged lost and comes back is connected again.

    The usual case is one conditional UPDATE; refusals and comebacks take the slow path.
    """
    alive = PhonePairing.objects.filter(
        pk=pairing_id, replaced_at__isnull=True, lost_at__isnull=True, attempt__state__in=statuses.OPEN
    ).update(last_heartbeat_at=now)
    if alive:
        return
    pairing = _active_pairing(pairing_id)  # raises: unknown, replaced, or exam over
    with transaction.atomic():
        back = PhonePairing.objects.filter(pk=pairing_id, lost_at__isnull=False).update(
            lost_at=None, last_heartbeat_at=now
        )
        if back:
            lost_seconds = int((now - pairing.lost_at).total_seconds()) if pairing.lost_at else 0
            _connected(
                attempt=pairing.attempt,
                pairing=pairing,
                now=now,
                details={"repaired": False, "resumed": True, "lost_seconds": lost_seconds},
            )
        else:
            PhonePairing.objects.filter(pk=pairing_id).update(last_heartbeat_at=now)


def phone_snapshot_store(
    *, pairing_id: int, upload: UploadedFile[bytes], now: datetime, capture_id: str = "", captured_at: object = None
) -> Evidence:
    """A snapshot from the phone's camera; it also counts as a heartbeat."""
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise exc.UploadTooLarge()
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    pairing = _active_pairing(pairing_id)
    evidence = evidence_store(
        attempt=pairing.attempt,
        kind=Evidence.PHONE_SNAPSHOT,
        data=data,
        now=now,
        capture_id=str(capture_id or ""),
        captured_at=captured_at,
    )
    phone_heartbeat(pairing_id=pairing_id, now=now)
    return evidence


def phones_flag_lost(*, now: datetime) -> int:
    """Flag connected phones silent for too long; each loss is flagged (and pushed) once.

    Called by the sweep; each flag is a conditional UPDATE, so two sweeps at once flag a
    phone once.
    """
    cutoff = now - heartbeat_lost_after()
    due = list(
        PhonePairing.objects.filter(
            used_at__isnull=False,
            lost_at__isnull=True,
            replaced_at__isnull=True,
            last_heartbeat_at__lt=cutoff,
            attempt__state__in=statuses.OPEN,
        ).values_list("id", "attempt_id", "attempt__session_id", "last_heartbeat_at")[:5000]
    )
    flagged = 0
    for pairing_id, attempt_id, session_id, last_heartbeat_at in due:
        assert last_heartbeat_at is not None  # filtered by last_heartbeat_at__lt
        with transaction.atomic():
            won = PhonePairing.objects.filter(
                pk=pairing_id,
                lost_at__isnull=True,
                replaced_at__isnull=True,
                last_heartbeat_at=last_heartbeat_at,
            ).update(lost_at=now)
            if not won:
                continue
            silent = int((now - last_heartbeat_at).total_seconds())
            ProctorEvent.objects.create(
                attempt_id=attempt_id,
                kind=ProctorEvent.PHONE_LOST,
                at=now,
                details={"pairing": pairing_id, "silent_seconds": silent},
            )
            live.push_to_attempt(attempt_id, {"type": "phone", "status": "lost"})
            live.monitor_tile(session_id, attempt_id, {"phone": wall.PHONE_LOST})
            live.monitor_changed(
                session_id,
                {
                    "kind": ProctorEvent.PHONE_LOST,
                    "attempt": attempt_id,
                    "at": now.isoformat(),
                    "silent_seconds": silent,
                },
            )
            flagged += 1
    return flagged


def phone_status(*, attempt_id: int, now: datetime) -> dict[str, Any]:
    """What the candidate's page shows: none, waiting (a live QR), connected or lost."""
    latest = (
        PhonePairing.objects.filter(attempt_id=attempt_id, used_at__isnull=False, replaced_at__isnull=True)
        .order_by("-used_at", "-id")
        .first()
    )
    if latest is not None:
        since = latest.lost_at or latest.used_at
        assert since is not None  # filtered by used_at__isnull=False
        return {
            "status": "lost" if latest.lost_at else "connected",
            "since": since.isoformat(),
            "last_heartbeat_at": latest.last_heartbeat_at.isoformat() if latest.last_heartbeat_at else None,
        }
    waiting = PhonePairing.objects.filter(
        attempt_id=attempt_id, used_at__isnull=True, expires_at__gt=now
    ).exists()
    return {"status": "waiting" if waiting else "none", "since": None, "last_heartbeat_at": None}
