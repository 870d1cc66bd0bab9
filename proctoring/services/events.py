"""Proctoring events and evidence: append-only records of an attempt."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from exams import exceptions as exam_exc
from exams import live, statuses
from exams.models import Attempt
from exams.services import steps
from exams.services.answering import attempt_add_leaves
from exams.services.attempts import attempt_for_writer, attempt_lock
from examsite.exceptions import Throttled
from examsite.images import image_to_jpeg_and_thumbnail
from examsite.storage import evidence_storage
from proctoring import wall
from proctoring.alerts import ALERT_KINDS, alert_label
from proctoring.exceptions import InvalidEvent, UploadTooLarge
from proctoring.models import Evidence, ProctorEvent

MAX_EVENTS = 100
MAX_DETAILS_BYTES = 4096
# About two snapshots per configured interval: one on time plus one retry or catch-up.
SNAPSHOTS_PER_INTERVAL = 2
# Evidence kinds a candidate page uploads, and the steps they complete.
STEP_OF_EVIDENCE = {"login_photo": steps.LOGIN_PHOTO, "scratch_paper": steps.SCRATCH_PAPER}


def _refuse_finished(attempt: Attempt) -> None:
    """Events and evidence end with the attempt: 409 ``collected`` / ``submitted``."""
    if attempt.state == statuses.COLLECTED:
        raise exam_exc.Collected()
    if attempt.state == statuses.SUBMITTED:
        raise exam_exc.Submitted()
    if attempt.state not in statuses.OPEN:
        raise exam_exc.NotStarted()


def _seconds_left(window_start: datetime, window: timedelta, now: datetime) -> int:
    return max(1, int((window_start + window - now).total_seconds()) + 1)


def events_quota_check(*, attempt: Attempt, count: int, now: datetime) -> None:
    """At most ``EVENTS_PER_ATTEMPT_PER_MINUTE`` client events per attempt in any minute."""
    limit = settings.EVENTS_PER_ATTEMPT_PER_MINUTE
    if not limit:
        return
    window = timedelta(minutes=1)
    recent = ProctorEvent.objects.filter(
        attempt_id=attempt.id, at__gt=now - window, kind__in=ProctorEvent.CLIENT_KINDS
    )
    used = recent.count()
    if used + count > limit:
        oldest = recent.aggregate(first=Min("at"))["first"] or now
        raise Throttled(
            _("监控记录上报过于频繁，页面将稍后自动重试。请继续答题。"),
            retry_after=_seconds_left(oldest, window, now),
        )


def evidence_quota_check(*, attempt: Attempt, kind: str, size: int, now: datetime) -> None:
    """Snapshots: about two per configured interval; all evidence: at most
    ``EVIDENCE_MAX_BYTES_PER_ATTEMPT`` bytes per attempt."""
    cap = settings.EVIDENCE_MAX_BYTES_PER_ATTEMPT
    if cap:
        stored = Evidence.objects.filter(attempt_id=attempt.id).aggregate(total=Sum("size"))["total"] or 0
        if stored + size > cap:
            left = max(60, int((attempt.deadline - now).total_seconds()))
            raise Throttled(
                _("本场作答的监控图片已达到存储上限，页面将停止上传。请继续答题。"), retry_after=left
            )
    if kind not in (Evidence.SNAPSHOT, Evidence.PHONE_SNAPSHOT):
        return
    window = timedelta(seconds=max(1, attempt.session.snapshot_interval_seconds))
    recent = Evidence.objects.filter(attempt_id=attempt.id, kind=kind, received_at__gt=now - window)
    if recent.count() >= SNAPSHOTS_PER_INTERVAL:
        oldest = recent.aggregate(first=Min("received_at"))["first"] or now
        raise Throttled(
            _("抓拍上传过于频繁，页面将稍后自动重试。请继续答题。"),
            retry_after=_seconds_left(oldest, window, now),
        )


def event_record_server(
    *, attempt: Attempt, kind: str, now: datetime, details: dict[str, Any] | None = None
) -> ProctorEvent:
    return ProctorEvent.objects.create(attempt=attempt, kind=kind, at=now, details=details or {})


def _parse_client_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def validate_events(events: object) -> list[dict[str, Any]]:
    if not isinstance(events, list) or not events:
        raise InvalidEvent(_("请求中没有事件。"))
    if len(events) > MAX_EVENTS:
        raise InvalidEvent(_("一次最多上报 %(max)d 条事件。") % {"max": MAX_EVENTS})
    clean = []
    for index, event in enumerate(events):
        if not isinstance(event, dict) or event.get("kind") not in ProctorEvent.CLIENT_KINDS:
            raise InvalidEvent(_("第 %(i)d 条事件类型无效。") % {"i": index + 1})
        details = event.get("details") or {}
        if not isinstance(details, dict) or len(json.dumps(details)) > MAX_DETAILS_BYTES:
            raise InvalidEvent(_("第 %(i)d 条事件详情无效。") % {"i": index + 1})
        clean.append(
            {"kind": event["kind"], "client_time": _parse_client_time(event.get("client_time")),
             "details": details}
        )
    return clean


def events_record(*, attempt_id: int, client_id: str, events: object, now: datetime) -> Attempt:
    """Store what the page reports; screen leaves count towards the lock."""
    clean = validate_events(events)
    with transaction.atomic():
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
        _refuse_finished(attempt)
        events_quota_check(attempt=attempt, count=len(clean), now=now)
        ProctorEvent.objects.bulk_create(
            ProctorEvent(attempt=attempt, kind=e["kind"], at=now, client_time=e["client_time"],
                         details=e["details"])
            for e in clean
        )
        leaves = sum(1 for e in clean if e["kind"] == ProctorEvent.SCREEN_LEAVE)
        attempt_add_leaves(attempt=attempt, count=leaves, now=now)
        for kind in dict.fromkeys(e["kind"] for e in clean if e["kind"] in ALERT_KINDS):
            live.monitor_changed(
                attempt.session_id,
                {"kind": kind, "label": alert_label(kind), "attempt": attempt.id, "at": now.isoformat()},
            )
        if leaves:
            live.monitor_tile(attempt.session_id, attempt.id, {"leaves_used": attempt.leaves_used})
        return attempt


def evidence_store(
    *,
    attempt: Attempt,
    kind: str,
    data: bytes,
    now: datetime,
    capture_id: str = "",
    captured_at: object = None,
) -> Evidence:
    """Store one capture; repeating the same capture_id returns the stored one."""
    if kind not in dict(Evidence.KINDS):
        raise InvalidEvent(_("未知的图片类型。"))
    capture_id = (capture_id or "")[:64] or secrets.token_hex(16)
    existing = Evidence.objects.filter(attempt=attempt, capture_id=capture_id).first()
    if existing is not None:
        return existing
    jpeg, width, height, thumb = image_to_jpeg_and_thumbnail(data)  # one decode for both
    evidence_quota_check(attempt=attempt, kind=kind, size=len(jpeg), now=now)
    base = f"{attempt.session_id}/{attempt.id}/{kind}-{secrets.token_hex(12)}"
    stored_name = evidence_storage.save(f"{base}.jpg", ContentFile(jpeg))
    thumb_name = evidence_storage.save(f"{base}-thumb.jpg", ContentFile(thumb))
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                attempt=attempt, kind=kind, storage_name=stored_name, thumb_name=thumb_name,
                sha256=hashlib.sha256(jpeg).hexdigest(), size=len(jpeg), width=width, height=height,
                capture_id=capture_id, captured_at=_parse_client_time(captured_at), received_at=now,
            )
    except IntegrityError:
        evidence_storage.delete(stored_name)
        evidence_storage.delete(thumb_name)
        return Evidence.objects.get(attempt=attempt, capture_id=capture_id)
    return evidence


def evidence_capture(
    *,
    attempt_id: int,
    client_id: str,
    kind: str,
    upload: UploadedFile[bytes],
    now: datetime,
    capture_id: str = "",
    captured_at: object = None,
) -> Evidence:
    """A candidate page uploads a photo or snapshot of its own open attempt."""
    if kind not in (Evidence.LOGIN_PHOTO, Evidence.SNAPSHOT, Evidence.SCRATCH_PAPER):
        raise InvalidEvent(_("未知的图片类型。"))
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge()
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
    _refuse_finished(attempt)
    evidence = evidence_store(
        attempt=attempt, kind=kind, data=data, now=now, capture_id=str(capture_id or ""),
        captured_at=captured_at,
    )
    if evidence.received_at == now and kind in STEP_OF_EVIDENCE:
        with transaction.atomic():
            locked = attempt_lock(attempt_id=attempt.id)
            event_record_server(
                attempt=locked,
                kind=ProctorEvent.PHOTO if kind == Evidence.LOGIN_PHOTO else ProctorEvent.SCRATCH_PAPER,
                now=now,
                details={"evidence": evidence.id},
            )
            # The step is done for this attempt wherever the candidate logs in next.
            steps.attempt_step_done(attempt=locked, step=STEP_OF_EVIDENCE[kind], now=now)
    if evidence.received_at == now:
        _tell_the_wall(attempt=attempt, evidence=evidence)
    return evidence


def _tell_the_wall(*, attempt: Attempt, evidence: Evidence) -> None:
    """The new thumbnail (and, for a step's photo, the steps still missing) to the live wall."""
    fields: dict[str, Any] = {}
    if evidence.kind in wall.THUMB_KINDS:
        fields.update(thumb=wall.thumb_url(evidence.id), thumb_at=evidence.received_at.isoformat())
    if evidence.kind in wall.STEP_EVIDENCE:
        fields["steps_missing"] = wall.attempt_steps_missing_now(attempt=attempt)
    if fields:
        live.monitor_tile(attempt.session_id, attempt.id, fields)


def wall_steps_changed(*, attempt: Attempt) -> None:
    """Push the steps still missing to the live wall after a step was done or waived (a waive
    service, or a receiver of its signal, calls this)."""
    live.monitor_tile(
        attempt.session_id, attempt.id, {"steps_missing": wall.attempt_steps_missing_now(attempt=attempt)}
    )
