"""Full-exam recording (全程录像): chunks of camera video and microphone audio, append-only.

A page uploads each chunk once it is complete (``POST /api/v1/candidate/attempt/recording/``);
a repeated upload of the same (attempt, stream, seq) returns the stored row and stores nothing.
Files go to the private evidence storage, named by the server, with their SHA-256; rows are
purged with the batch's other evidence (``retention.batch_evidence_purge``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from exams import exceptions as exam_exc
from exams import statuses
from exams.audit import AuditAction
from exams.models import Attempt, AttemptAudit, ExamSession
from exams.services.attempts import attempt_audit, attempt_for_writer
from examsite.exceptions import InvalidInput, Throttled
from examsite.storage import evidence_storage
from proctoring import exceptions as exc
from proctoring.models import PhonePairing, RecordingChunk
from proctoring.webm import NotWebm, webm_inspect

logger = logging.getLogger(__name__)

MAX_SEQ = 10_000_000
# A chunk longer than this many chunk lengths is a page's clock gone wrong; it is clamped.
MAX_DURATION_FACTOR = 3


class _Upload(Protocol):
    size: int | None

    def read(self, size: int = ...) -> bytes: ...


@dataclass(frozen=True)
class ChunkIn:
    """What the page says about a chunk, checked (``chunk_fields``)."""

    stream: str
    seq: int
    started_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class Stored:
    chunk: RecordingChunk
    created: bool


def chunk_fields(*, stream: object, seq: object, started_at: object, duration: object) -> ChunkIn:
    """The multipart fields of an upload, or ``InvalidInput`` naming each bad one."""
    errors: dict[str, str] = {}
    if stream not in (RecordingChunk.COMPUTER, RecordingChunk.PHONE):
        errors["stream"] = _("必须是 computer 或 phone。")
    number = -1
    if isinstance(seq, str) and seq.isascii() and seq.isdigit() and len(seq) <= 8:
        number = int(seq)
    if not 0 <= number < MAX_SEQ:
        errors["seq"] = _("必须是非负整数。")
    start = parse_datetime(started_at) if isinstance(started_at, str) and len(started_at) <= 40 else None
    if start is None or start.tzinfo is None:
        errors["started_at"] = _("必须是带时区的 ISO 8601 时间。")
    chunk_ms = int(settings.RECORDING_CHUNK_SECONDS * 1000)
    duration_ms = chunk_ms
    if duration not in (None, ""):
        try:
            duration_ms = round(float(str(duration)) * 1000)
        except (ValueError, OverflowError):  # not a number, NaN, infinity
            errors["duration"] = _("必须是秒数。")
        else:
            if not 0 < duration_ms <= chunk_ms * MAX_DURATION_FACTOR:
                duration_ms = min(max(duration_ms, 1), chunk_ms * MAX_DURATION_FACTOR)
    if errors or start is None:
        raise InvalidInput(errors)
    return ChunkIn(stream=str(stream), seq=number, started_at=start, duration_ms=duration_ms)


def recording_quota_check(*, attempt: Attempt, size: int, now: datetime) -> None:
    """At most ``RECORDING_MAX_BYTES_PER_ATTEMPT`` bytes of recording per attempt."""
    cap = settings.RECORDING_MAX_BYTES_PER_ATTEMPT
    if not cap:
        return
    stored = RecordingChunk.objects.filter(attempt_id=attempt.id).aggregate(total=Sum("size"))["total"] or 0
    if stored + size > cap:
        left = max(60, int((attempt.deadline - now).total_seconds()))
        raise Throttled(_("本场作答的录像已达到存储上限，页面将停止上传录像。请继续答题。"), retry_after=left)


def chunk_is_late(*, attempt: Attempt, now: datetime) -> bool:
    """After the attempt ended (submitted or collected) plus the answers' grace, a chunk is
    kept only as late evidence: the offline queue of a page that lost its network drains then."""
    if attempt.state not in statuses.FINISHED:
        return False
    ended = attempt.finished_at or attempt.deadline
    return now > ended + timedelta(seconds=settings.ANSWER_GRACE_SECONDS)


def _read_checked(upload: _Upload) -> bytes:
    cap = settings.RECORDING_CHUNK_MAX_BYTES
    if upload.size is not None and upload.size > cap:
        raise exc.InvalidRecording(_("录像片段过大，已被拒收。页面会继续录制下一段。请继续答题。"))
    data = upload.read(cap + 1)
    if len(data) > cap:
        raise exc.InvalidRecording(_("录像片段过大，已被拒收。页面会继续录制下一段。请继续答题。"))
    try:
        webm_inspect(data)
    except NotWebm as error:
        logger.info("recording chunk refused: %s", error)
        raise exc.InvalidRecording() from None
    return data


def chunk_store(*, attempt: Attempt, chunk: ChunkIn, data: bytes, now: datetime) -> Stored:
    """Store one checked chunk of ``attempt``; the same (stream, seq) again returns the stored row."""
    existing = RecordingChunk.objects.filter(attempt=attempt, stream=chunk.stream, seq=chunk.seq).first()
    if existing is not None:
        return Stored(chunk=existing, created=False)
    if attempt.state not in statuses.OPEN and attempt.state not in statuses.FINISHED:
        raise exam_exc.NotStarted()
    if attempt.session.recording != ExamSession.RECORDING_VIDEO:
        raise exc.RecordingOff()
    recording_quota_check(attempt=attempt, size=len(data), now=now)
    name = evidence_storage.save(
        f"{attempt.session_id}/{attempt.id}/recording-{chunk.stream}-{chunk.seq:07d}-{secrets.token_hex(8)}.webm",
        ContentFile(data),
    )
    try:
        with transaction.atomic():
            row = RecordingChunk.objects.create(
                attempt=attempt, stream=chunk.stream, seq=chunk.seq, started_at=chunk.started_at,
                duration_ms=chunk.duration_ms, received_at=now, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), storage_name=name,
                late=chunk_is_late(attempt=attempt, now=now),
            )
    except IntegrityError:  # the same chunk, uploaded twice at once: keep the first
        evidence_storage.delete(name)
        row = RecordingChunk.objects.get(attempt=attempt, stream=chunk.stream, seq=chunk.seq)
        return Stored(chunk=row, created=False)
    return Stored(chunk=row, created=True)


def candidate_chunk_upload(
    *, attempt_id: int, client_id: str, chunk: ChunkIn, upload: _Upload, now: datetime
) -> Stored:
    """The computer's stream, from the candidate's own page (its exam session names the attempt)."""
    if chunk.stream != RecordingChunk.COMPUTER:
        raise exc.PhoneNotPaired()
    data = _read_checked(upload)
    attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
    return chunk_store(attempt=attempt, chunk=chunk, data=data, now=now)


def phone_chunk_upload(*, pairing_id: int, chunk: ChunkIn, upload: _Upload, now: datetime) -> Stored:
    """The phone's stream, from the paired phone (its cookie names the pairing, which names the
    attempt). A replaced phone may not add to the recording; an ended attempt's chunks are late."""
    if chunk.stream != RecordingChunk.PHONE:
        raise exc.PhoneNotPaired()
    pairing = PhonePairing.objects.select_related("attempt__session").filter(pk=pairing_id).first()
    if pairing is None:
        raise exc.PhoneNotPaired()
    if pairing.replaced_at is not None:
        raise exc.PhoneReplaced()
    data = _read_checked(upload)
    return chunk_store(attempt=pairing.attempt, chunk=chunk, data=data, now=now)


# A playback started on the review page opens the attempt's chunks to that reviewer for this long.
PLAYBACK_WINDOW = timedelta(hours=2)


def recording_playback_start(
    *, attempt: Attempt, reviewer: User, now: datetime, stream: str, position: datetime | None
) -> AttemptAudit:
    """A reviewer starts playing an attempt's recording (from ``position``): one audit row
    (``recording_played``) per playback: who watched which attempt, when, from where."""
    if stream not in (RecordingChunk.COMPUTER, RecordingChunk.PHONE):
        raise InvalidInput({"stream": _("必须是 computer 或 phone。")})
    return attempt_audit(
        attempt=attempt, action=AuditAction.RECORDING_PLAYED, now=now, actor=reviewer,
        details={"stream": stream, "from": position.isoformat() if position else None},
    )


def recording_playback_open(*, attempt_id: int, reviewer: User, now: datetime) -> bool:
    """Whether ``reviewer`` started a playback of this attempt recently: chunks are served only
    then, so no recording is watched without its audit row."""
    return AttemptAudit.objects.filter(
        attempt_id=attempt_id, action=AuditAction.RECORDING_PLAYED, actor=reviewer,
        at__gt=now - PLAYBACK_WINDOW,
    ).exists()
