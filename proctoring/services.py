"""Proctoring events and evidence (append-only records of an attempt) and review decisions.

The phone monitor lives in ``proctoring.services_phone``; registered photos and the
data-retention purge in ``proctoring.services_records``.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from exams import live, statuses
from exams.models import Attempt
from exams.services.attempts import attempt_audit, attempt_lock
from examsite.exceptions import InvalidInput
from proctoring import exceptions as exc
from proctoring.exceptions import InvalidEvent, NotAnImage, UploadTooLarge
from proctoring.models import Evidence, ProctorEvent, ReviewDecision
from proctoring.storage import evidence_storage

MAX_EVENTS = 100
MAX_DETAILS_BYTES = 4096
ALERT_KINDS = {ProctorEvent.CAMERA_BLACK, ProctorEvent.PHONE_LOST, ProctorEvent.LOCK,
               ProctorEvent.CAMERA_LOST, ProctorEvent.CAMERA_MISSING}


def event_record_server(
    *, attempt: Attempt, kind: str, now: datetime, details: dict[str, Any] | None = None
) -> ProctorEvent:
    return ProctorEvent.objects.create(attempt=attempt, kind=kind, at=now, details=details or {})


def _parse_client_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def validate_events(events: Any) -> list[dict]:
    if not isinstance(events, list) or not events:
        raise InvalidEvent(_("请求中没有事件。"))
    if len(events) > MAX_EVENTS:
        raise InvalidEvent(_("一次最多上报 %(max)d 条事件。") % {"max": MAX_EVENTS})
    import json

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


def events_record(*, attempt_id: int, client_id: str, events: Any, now: datetime) -> Attempt:
    """Store what the page reports; screen leaves count towards the lock."""
    from exams import exceptions as exam_exc
    from exams.services.answering import attempt_add_leaves

    clean = validate_events(events)
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if attempt.client_id != client_id and attempt.state in statuses.OPEN:
            raise exam_exc.Superseded()
        ProctorEvent.objects.bulk_create(
            ProctorEvent(attempt=attempt, kind=e["kind"], at=now, client_time=e["client_time"],
                         details=e["details"])
            for e in clean
        )
        leaves = sum(1 for e in clean if e["kind"] == ProctorEvent.SCREEN_LEAVE)
        attempt_add_leaves(attempt=attempt, count=leaves, now=now)
        for e in clean:
            if e["kind"] in ALERT_KINDS:
                live.monitor_changed(
                    attempt.session_id,
                    {"kind": e["kind"], "attempt": attempt.id, "at": now.isoformat()},
                )
        return attempt


def image_to_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """Decode with Pillow and re-encode: whatever was uploaded, only pixels are kept."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise NotAnImage()
            if image.width * image.height > 4096 * 4096:
                raise UploadTooLarge(_("图片尺寸过大，请重新拍摄。"))
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImage() from None
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return out.getvalue(), rgb.width, rgb.height


def evidence_store(
    *,
    attempt: Attempt,
    kind: str,
    data: bytes,
    now: datetime,
    capture_id: str = "",
    captured_at: Any = None,
) -> Evidence:
    """Store one capture; repeating the same capture_id returns the stored one."""
    if kind not in dict(Evidence.KINDS):
        raise InvalidEvent(_("未知的图片类型。"))
    capture_id = (capture_id or "")[:64] or secrets.token_hex(16)
    existing = Evidence.objects.filter(attempt=attempt, capture_id=capture_id).first()
    if existing is not None:
        return existing
    jpeg, width, height = image_to_jpeg(data)
    name = f"{attempt.session_id}/{attempt.id}/{kind}-{secrets.token_hex(12)}.jpg"
    stored_name = evidence_storage.save(name, ContentFile(jpeg))
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                attempt=attempt, kind=kind, storage_name=stored_name,
                sha256=hashlib.sha256(jpeg).hexdigest(), size=len(jpeg), width=width, height=height,
                capture_id=capture_id, captured_at=_parse_client_time(captured_at), received_at=now,
            )
    except IntegrityError:
        evidence_storage.delete(stored_name)
        return Evidence.objects.get(attempt=attempt, capture_id=capture_id)
    return evidence


def evidence_capture(
    *,
    attempt_id: int,
    client_id: str,
    kind: str,
    upload,
    now: datetime,
    capture_id: str = "",
    captured_at: Any = None,
) -> Evidence:
    """A candidate page uploads a photo or snapshot of its own open attempt."""
    from exams import exceptions as exam_exc

    if kind not in (Evidence.LOGIN_PHOTO, Evidence.SNAPSHOT, Evidence.SCRATCH_PAPER):
        raise InvalidEvent(_("未知的图片类型。"))
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge()
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    attempt = Attempt.objects.select_related("session").get(pk=attempt_id)
    if attempt.state not in statuses.OPEN:
        raise exam_exc.Collected() if attempt.state == statuses.COLLECTED else exam_exc.Submitted()
    if attempt.client_id != client_id:
        raise exam_exc.Superseded()
    evidence = evidence_store(
        attempt=attempt, kind=kind, data=data, now=now, capture_id=str(capture_id or ""),
        captured_at=captured_at,
    )
    if evidence.received_at == now and kind in (Evidence.LOGIN_PHOTO, Evidence.SCRATCH_PAPER):
        event_record_server(
            attempt=attempt,
            kind=ProctorEvent.PHOTO if kind == Evidence.LOGIN_PHOTO else ProctorEvent.SCRATCH_PAPER,
            now=now,
            details={"evidence": evidence.id},
        )
    return evidence


# --- review decisions ---------------------------------------------------------------

ATTEMPT_DECISION = {
    ReviewDecision.CLEAR: statuses.DECISION_CLEAR,
    ReviewDecision.WARNING: statuses.DECISION_WARNING,
    ReviewDecision.VOID: statuses.DECISION_VOIDED,
}
MAX_REASON = 2000


def can_decide(user) -> bool:
    return bool(
        user is not None and getattr(user, "is_active", False) and getattr(user, "is_staff", False)
        and user.has_perm("proctoring.decide_attempt")
    )


def _require_reviewer(user) -> None:
    if not can_decide(user):
        raise exc.ReviewForbidden()


def _decision_takes_effect(*, attempt: Attempt, row: ReviewDecision, actor, now: datetime) -> None:
    """Set the attempt's decision (never its answers) and audit it."""
    value = ATTEMPT_DECISION[row.decision]
    Attempt.objects.filter(pk=attempt.id).update(decision=value, updated_at=now)
    attempt_audit(
        attempt=attempt, action="decision", now=now, actor=actor, reason=row.reason,
        details={
            "decision": value, "from": attempt.decision, "review_decision": row.id,
            "reviewer": row.reviewer.get_username(),
            "confirmed_by": actor.get_username() if row.decision == ReviewDecision.VOID else None,
        },
    )
    attempt.decision = value


def decision_record(
    *, attempt_id: int, decision: str, reason: str, reviewer, now: datetime
) -> ReviewDecision:
    """Record a reviewer's conclusion. Clear and warning take effect at once; a void waits
    for a second, different reviewer (``decision_confirm``). A newer decision withdraws a
    void still waiting for confirmation. A confirmed void is final here.
    """
    _require_reviewer(reviewer)
    if decision not in ATTEMPT_DECISION:
        raise InvalidInput({"decision": _("请选择审核结论：无异常、警告或取消成绩。")})
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if decision != ReviewDecision.CLEAR and not reason:
        raise InvalidInput({"reason": _("警告或取消成绩必须填写理由。")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": _("理由最多 %(max)d 个字。") % {"max": MAX_REASON}})
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if attempt.decision == statuses.DECISION_VOIDED:
            raise exc.AlreadyVoided()
        for pending in ReviewDecision.objects.filter(attempt_id=attempt.id, status=ReviewDecision.PENDING):
            ReviewDecision.objects.filter(pk=pending.pk).update(
                status=ReviewDecision.WITHDRAWN, withdrawn_at=now
            )
            attempt_audit(
                attempt=attempt, action="void_withdrawn", now=now, actor=reviewer,
                details={"review_decision": pending.id, "by_decision": decision},
            )
        row = ReviewDecision.objects.create(
            attempt=attempt, decision=decision, reason=reason, reviewer=reviewer, at=now,
            status=ReviewDecision.PENDING if decision == ReviewDecision.VOID else ReviewDecision.EFFECTIVE,
        )
        if decision == ReviewDecision.VOID:
            attempt_audit(
                attempt=attempt, action="void_proposed", now=now, actor=reviewer, reason=reason,
                details={"review_decision": row.id},
            )
        else:
            _decision_takes_effect(attempt=attempt, row=row, actor=reviewer, now=now)
    return row


def decision_confirm(*, decision_id: int, confirmer, now: datetime) -> ReviewDecision:
    """A second, different reviewer confirms a void: only now is the result voided."""
    _require_reviewer(confirmer)
    attempt_id = ReviewDecision.objects.filter(pk=decision_id).values_list("attempt_id", flat=True).first()
    if attempt_id is None:
        raise exc.DecisionNotPending()
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        row = ReviewDecision.objects.select_related("reviewer").get(pk=decision_id)
        if row.status != ReviewDecision.PENDING or row.decision != ReviewDecision.VOID:
            raise exc.DecisionNotPending()
        if row.reviewer_id == confirmer.pk:
            raise exc.SameReviewer()
        ReviewDecision.objects.filter(pk=row.pk, status=ReviewDecision.PENDING).update(
            status=ReviewDecision.EFFECTIVE, confirmed_by=confirmer, confirmed_at=now
        )
        row.refresh_from_db()
        _decision_takes_effect(attempt=attempt, row=row, actor=confirmer, now=now)
    return row
