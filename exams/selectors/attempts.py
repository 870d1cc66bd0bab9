"""Reads of an attempt shared by the candidate API and the attempt socket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings

from candidates import idnumbers
from exams import rules, statuses
from exams.models import Answer, Attempt, ExamSession, LateAnswer
from exams.paper_cache import questions_for_candidate
from exams.services.steps import steps_state

# Blocks the apps above exams add to what a candidate's page loads (GET /api/v1/candidate/attempt/
# and, where it changes while the page is open, the socket's first ``sync``): name -> function of
# the attempt (proctoring's ``phone`` and ``recording``).
AttemptBlock = Callable[[Attempt], dict[str, Any]]
_ATTEMPT_BLOCKS: dict[str, tuple[AttemptBlock, bool]] = {}


def attempt_block_add(name: str, block: AttemptBlock, *, on_socket: bool = True) -> None:
    """Called from an upper app's ``AppConfig.ready()``; exams never imports it. ``on_socket``
    False: only the page load carries it (every socket connect is on exam day's hot path)."""
    _ATTEMPT_BLOCKS[name] = (block, on_socket)


def attempt_blocks(attempt: Attempt, *, socket: bool = False) -> dict[str, dict[str, Any]]:
    return {
        name: block(attempt)
        for name, (block, on_socket) in _ATTEMPT_BLOCKS.items()
        if on_socket or not socket
    }


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def attempt_for_candidate(*, attempt_id: int) -> Attempt:
    return Attempt.objects.select_related("session__batch", "registration__candidate").get(pk=attempt_id)


def attempt_status(*, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """The clock and limits a page needs to count down and enforce the lock screen."""
    s = attempt.session.rules()
    return {
        "state": attempt.state,
        "locked": attempt.locked,
        "server_time": iso(now),
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "deadline": iso(attempt.deadline),
        "submit_opens_at": iso(rules.submit_opens_at(s)),
        "leaves_used": attempt.leaves_used,
        "leaves_max": rules.leaves_max(s, extra_leaves=attempt.extra_leaves),
        # Required steps, from the attempt: a login in any browser sees what is already done.
        "steps": steps_state(attempt),
    }


def recording_settings(session: ExamSession) -> dict[str, Any]:
    """What the page's recorder uses (static/js/recording.js): the session's mode and the
    deployment's format; the server checks what arrives (proctoring.services.recording)."""
    return {
        "mode": session.recording,
        "chunk_seconds": settings.RECORDING_CHUNK_SECONDS,
        "width": settings.RECORDING_WIDTH,
        "height": settings.RECORDING_HEIGHT,
        "fps": settings.RECORDING_FPS,
        "video_bits_per_second": settings.RECORDING_VIDEO_BITS_PER_SECOND,
        "audio_bits_per_second": settings.RECORDING_AUDIO_BITS_PER_SECOND,
        "chunk_max_bytes": settings.RECORDING_CHUNK_MAX_BYTES,
        "queue_max_bytes": settings.RECORDING_QUEUE_MAX_BYTES,
    }


def session_summary(session: ExamSession) -> dict[str, Any]:
    s = session.rules()
    return {
        "id": session.id,
        "kind": session.kind,
        "name": session.name,
        "subject": session.subject,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "login_opens_at": iso(rules.login_opens_at(s)),
        "lock_screen": session.lock_screen,
        "requires_login_photo": session.requires_login_photo,
        "requires_phone_monitor": session.requires_phone_monitor,
        "requires_scratch_paper": session.requires_scratch_paper,
        "needs_admission_ticket": session.batch.login_requires_admission_ticket,
        "snapshot_interval_seconds": session.snapshot_interval_seconds,
        "recording": recording_settings(session),
        "min_answer_minutes": (
            int(session.min_answer_time.total_seconds() // 60) if session.min_answer_time else 0
        ),
        "late_after_minutes": (
            int(session.late_after.total_seconds() // 60) if session.late_after is not None else None
        ),
    }


def attempt_summary(*, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """What login returns: who, which session, and where the attempt stands."""
    candidate = attempt.registration.candidate
    return {
        "id": attempt.id,
        **attempt_status(attempt=attempt, now=now),
        "receipt": attempt.receipt,
        "session": session_summary(attempt.session),
        "candidate": {
            "name": candidate.name,
            "id_number_masked": idnumbers.mask(candidate.id_number),
            "admission_ticket": attempt.registration.admission_ticket,
            "subject": attempt.registration.subject or attempt.session.subject,
        },
    }


def attempt_detail(*, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """GET /api/v1/candidate/attempt/: questions only from starts_at on, never answers keys."""
    started = rules.has_started(attempt.session.rules(), now)
    answers = {
        str(qid): {"value": value, "seq": seq}
        for qid, value, seq in Answer.objects.filter(attempt_id=attempt.id).values_list(
            "question_id", "value", "seq"
        )
    }
    return {
        **attempt_summary(attempt=attempt, now=now),
        "questions": questions_for_candidate(attempt.session.paper_id) if started else [],
        "answers": answers,
        "last_seq": attempt.last_seq,
        "current_question": attempt.current_question,
        **attempt_blocks(attempt),
    }


def attempt_socket_state(*, attempt_id: int, client_id: str, now: datetime) -> dict[str, Any] | None:
    """What the attempt socket needs on connect: its groups, whether this page was superseded
    by a newer login (the writer rule, ``Attempt.is_superseded_for``), and the sync message."""
    attempt = Attempt.objects.select_related("session__batch").filter(pk=attempt_id).first()
    if attempt is None:
        return None
    return {
        "session_id": attempt.session_id,
        "superseded": attempt.is_superseded_for(client_id),
        "sync": {"type": "sync", **attempt_status(attempt=attempt, now=now), **attempt_blocks(attempt, socket=True)},
    }


def attempt_stored_receipt(*, attempt_id: int) -> tuple[str, str]:
    """(state, receipt) as stored: the socket's answer to a session's collection broadcast."""
    row = Attempt.objects.filter(pk=attempt_id).values_list("state", "receipt").first()
    return row or ("", "")


def session_collected_receipts(*, session_id: int) -> dict[int, str]:
    """{attempt id: receipt} of the session's collected attempts: read once per process for a
    collection broadcast, instead of once per socket (exams.consumers)."""
    return dict(
        Attempt.objects.filter(session_id=session_id, state=statuses.COLLECTED).values_list("id", "receipt")
    )


def attempt_live_status(*, attempt_id: int, now: datetime) -> dict[str, Any] | None:
    """The attempt's status as the socket's ``sync`` carries it (a session's times changed)."""
    attempt = Attempt.objects.select_related("session__batch").filter(pk=attempt_id).first()
    return None if attempt is None else attempt_status(attempt=attempt, now=now)


def late_answers(*, attempt_id: int) -> list[dict[str, Any]]:
    """GET /api/v1/organizer/attempts/<id>/late-answers/ and the actions page."""
    return [
        {"id": row.id, "question": row.question_id_sent, "value": row.value, "seq": row.seq,
         "received_at": iso(row.received_at), "source": row.source, "recorded_at": iso(row.recorded_at),
         "applied_at": iso(row.applied_at)}
        for row in LateAnswer.objects.filter(attempt_id=attempt_id).order_by("received_at", "id")
    ]
