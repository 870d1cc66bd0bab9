"""Support pushes, queued until the transaction commits (exams.live does the sending).

Groups: ``support.queue`` (every staff queue page, /ws/support/) and ``support.ticket.<id>``
(the owner's panel sockets, /ws/support/mine/). Candidates get the ticket as they may see it;
staff get a summary and fetch the rendered rows, so every text is escaped by one template.
"""

from __future__ import annotations

from typing import Any

from exams.live import send_on_commit
from support.selectors import candidate_ticket, staff_ticket_summary

QUEUE_GROUP = "support.queue"


def ticket_group(ticket_id: int) -> str:
    return f"support.ticket.{ticket_id}"


def ticket_changed(*, ticket, event: str) -> None:
    """``event``: created, message, status. Payloads are built now, inside the transaction."""
    queue_payload: dict[str, Any] = {"event": event, "ticket": staff_ticket_summary(ticket)}
    send_on_commit(QUEUE_GROUP, {"type": "support.queue", "payload": queue_payload})
    send_on_commit(
        ticket_group(ticket.id),
        {"type": "support.ticket", "payload": {"event": event, "ticket": candidate_ticket(ticket)}},
    )
