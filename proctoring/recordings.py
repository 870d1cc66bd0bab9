"""Reads of the full-exam recording: what the candidate's page needs to number its chunks, and
the review player's timeline (chunks, gaps with their cause, the moments worth a click)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from exams.models import Attempt
from proctoring.models import ProctorEvent, RecordingChunk

# Two chunks closer than this count as continuous (the recorder restarts between them).
GAP_TOLERANCE = timedelta(seconds=2)
# Where "play from an event" starts: a few seconds before it.
LEAD_SECONDS = 5
# Events a reviewer jumps to from the player.
JUMP_KINDS = (
    ProctorEvent.SCREEN_LEAVE, ProctorEvent.FULLSCREEN_EXIT, ProctorEvent.FOCUS_LOSS,
    ProctorEvent.LOUD_SOUND, ProctorEvent.PHONE_LOST, ProctorEvent.PHONE_CAMERA_PROBLEM,
    ProctorEvent.RELOGIN, ProctorEvent.RELOGIN_ELSEWHERE, ProctorEvent.CAMERA_BLACK,
    ProctorEvent.CAMERA_LOST, ProctorEvent.NETWORK_LOST, ProctorEvent.LOCK, ProctorEvent.RECORDING_GAP,
)
GAP_CAUSES: dict[str, Promise] = {
    "camera_stopped": _("摄像头停止"),
    "microphone_stopped": _("麦克风停止"),
    "queue_full": _("断网过久，本机缓存已满，最早的片段被丢弃"),
    "network": _("网络断开，片段未上传"),
    "page": _("页面重新加载或重新登录"),
    "unsupported": _("浏览器不支持录像"),
    "missing": _("未收到片段（上传丢失）"),
}


def recording_block(attempt: Attempt) -> dict[str, Any]:
    """In what the candidate's page loads: the next free seq per stream, so a page opened in
    another browser never reuses one (the page also keeps its own counter)."""
    highest = dict(
        RecordingChunk.objects.filter(attempt_id=attempt.id)
        .values("stream").annotate(top=Max("seq")).values_list("stream", "top")
    )
    return {"next_seq": {stream: (highest[stream] + 1 if stream in highest else 0)
                         for stream, _label in RecordingChunk.STREAMS}}


@dataclass(frozen=True)
class _Span:
    start: datetime
    end: datetime


def _moment(value: object) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _when(event: ProctorEvent) -> tuple[datetime, datetime]:
    """When an event happened: a page's event is stored when it arrives (late, after a network
    loss), so its own time counts; a reported recording gap says which stretch it lost."""
    at = event.client_time or event.at
    if event.kind != ProctorEvent.RECORDING_GAP:
        return at, at
    start = _moment(event.details.get("from")) or _moment(event.details.get("at")) or at
    return start, _moment(event.details.get("to")) or start


def _cause(span: _Span, events: list[ProctorEvent], stream: str) -> str:
    """Why nothing was recorded in ``span``: what the page reported, else what happened then."""
    window = []
    for event in events:
        start, end = _when(event)
        if start <= span.end + GAP_TOLERANCE and end >= span.start - GAP_TOLERANCE:
            window.append(event)
    for event in window:
        if event.kind == ProctorEvent.RECORDING_GAP and event.details.get("stream", stream) == stream:
            reason = str(event.details.get("reason", ""))
            if reason in GAP_CAUSES:
                return reason
    kinds = {e.kind for e in window}
    if kinds & {ProctorEvent.CAMERA_LOST, ProctorEvent.CAMERA_MISSING, ProctorEvent.CAMERA_DENIED}:
        return "camera_stopped"
    if ProctorEvent.NETWORK_LOST in kinds:
        return "network"
    if kinds & {ProctorEvent.LOGIN, ProctorEvent.RELOGIN}:
        return "page"
    return "missing"


def _gap(span: _Span, cause: str) -> dict[str, Any]:
    return {"from": span.start.isoformat(), "to": span.end.isoformat(), "cause": cause,
            "label": str(GAP_CAUSES[cause]), "seconds": round((span.end - span.start).total_seconds())}


def recording_review(*, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """The player's data: per stream its chunks (each with the URL of the audited view) and its
    gaps from the attempt's start to its end, and the events to jump to."""
    chunks = list(
        RecordingChunk.objects.filter(attempt_id=attempt.id)
        .order_by("stream", "started_at", "seq")
        .only("id", "stream", "seq", "started_at", "duration_ms", "late")
    )
    events = list(ProctorEvent.objects.filter(attempt_id=attempt.id).order_by("at", "id"))
    begin = attempt.started_at or attempt.checked_in_at
    end = attempt.finished_at or min(now, attempt.deadline)
    # While the attempt is open the chunk being recorded (and its upload) is not a gap yet.
    trailing = GAP_TOLERANCE if attempt.finished_at else GAP_TOLERANCE + 2 * timedelta(
        seconds=settings.RECORDING_CHUNK_SECONDS
    )
    streams: dict[str, Any] = {}
    for stream, label in RecordingChunk.STREAMS:
        own = [c for c in chunks if c.stream == stream]
        if not own and stream == RecordingChunk.PHONE:
            continue
        items = []
        gaps = []
        cursor = begin
        for chunk in own:
            start = chunk.started_at
            stop = start + timedelta(milliseconds=chunk.duration_ms)
            if cursor is not None and start - cursor > GAP_TOLERANCE:
                span = _Span(cursor, start)
                gaps.append(_gap(span, _cause(span, events, stream)))
            items.append({
                "seq": chunk.seq, "from": start.isoformat(), "to": stop.isoformat(),
                "seconds": chunk.duration_ms / 1000, "late": chunk.late,
                "url": reverse("proctoring:recording-chunk", args=[chunk.id]),
            })
            cursor = stop if cursor is None else max(cursor, stop)
        if cursor is not None and end is not None and end - cursor > trailing:
            span = _Span(cursor, end)
            gaps.append(_gap(span, _cause(span, events, stream)))
        streams[stream] = {"label": str(label), "chunks": items, "gaps": gaps}
    jumps = [
        {"id": e.id, "kind": e.kind, "label": e.get_kind_display(), "at": _when(e)[0].isoformat(),
         "play_from": (_when(e)[0] - timedelta(seconds=LEAD_SECONDS)).isoformat()}
        for e in events if e.kind in JUMP_KINDS
    ]
    return {
        "attempt": attempt.id,
        "start": begin.isoformat() if begin else None,
        "end": end.isoformat() if end else None,
        "lead_seconds": LEAD_SECONDS,
        "streams": streams,
        "events": jumps,
    }


def player_strings() -> dict[str, str]:
    """The review player's words (static/js/proctoring/player.js), in the request's language."""
    return {
        "playing": str(_("正在播放：%(stream)s %(time)s")),
        "gap": str(_("录像缺失 %(from)s–%(to)s：%(cause)s")),
        "no_recording": str(_("该时刻之后没有录像。")),
        "refused": str(_("无法播放录像：%(detail)s")),
        "play_from": str(_("从前 %(seconds)s 秒播放")),
        "late": str(_("收卷后才收到")),
    }
