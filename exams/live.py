"""Pushes to the live layer, always queued until the transaction commits.

Group names: ``attempt.<id>`` (the candidate's sockets), ``session.<id>`` (every attempt
socket of a session), ``monitor.<session id>`` (staff monitor pages).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def attempt_group(attempt_id: int) -> str:
    return f"attempt.{attempt_id}"


def session_group(session_id: int) -> str:
    return f"session.{session_id}"


def monitor_group(session_id: int) -> str:
    return f"monitor.{session_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the live layer is best effort; the database is the truth
        logger.warning("live push to %s failed", group, exc_info=True)


def send_on_commit(group: str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(group, message))


def push_to_attempt(attempt_id: int, payload: dict[str, Any]) -> None:
    """Queue a message for the candidate's page(s): ``payload`` is what the page receives."""
    send_on_commit(attempt_group(attempt_id), {"type": "attempt.push", "payload": payload})


def push_to_session(session_id: int, payload: dict[str, Any]) -> None:
    send_on_commit(session_group(session_id), {"type": "attempt.push", "payload": payload})


def session_collected(session_id: int) -> None:
    """One broadcast per session: each process reads the session's receipts once (``token`` names
    this collection, so a later one of the same session is read afresh) and each socket sends
    its own."""
    send_on_commit(session_group(session_id), {"type": "session.collected", "token": secrets.token_hex(8)})


def superseded(attempt_id: int, client_id: str) -> None:
    send_on_commit(attempt_group(attempt_id), {"type": "attempt.superseded", "client_id": client_id})


def monitor_changed(session_id: int, alert: dict[str, Any] | None = None) -> None:
    send_on_commit(monitor_group(session_id), {"type": "monitor.changed", "alert": alert})


def monitor_tile(session_id: int, attempt_id: int, fields: dict[str, Any]) -> None:
    """Tell the session's wall what changed on one candidate's tile (only those fields)."""
    send_on_commit(
        monitor_group(session_id), {"type": "monitor.tile", "attempt": attempt_id, "fields": fields}
    )


# --- deadlines -------------------------------------------------------------------------------
# Why a deadline moved, for the page's banner (static/js/deadline.js) and the monitor.
DEADLINE_SESSION_END = "session_end"  # the session's end changed (admin, API, load_batch)
DEADLINE_EXTRA_TIME = "extra_time"  # one candidate's extra time
DEADLINE_SESSION_CREDIT = "session_credit"  # a session-wide credit for an interruption
DEADLINE_READMIT = "readmit"
DEADLINE_REOPEN = "reopen"


def deadline_changed(
    attempt_id: int, *, deadline: datetime, previous: datetime | None, kind: str, reason: str
) -> None:
    """One attempt's deadline moved: ``{"type": "deadline", "deadline", "reason", ...}`` to its pages."""
    push_to_attempt(attempt_id, {
        "type": "deadline", "deadline": deadline.isoformat(), "reason": reason, "kind": kind,
        "previous": previous.isoformat() if previous else None,
    })


def session_deadlines_changed(session_id: int, *, kind: str, reason: str) -> None:
    """Many attempts of a session moved at once: one broadcast; each socket reads its own new
    deadline and sends ``deadline`` to its page when it changed (exams.consumers)."""
    send_on_commit(session_group(session_id), {"type": "session.deadline", "kind": kind, "reason": reason})
