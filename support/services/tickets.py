"""What every ticket write shares: text checks, the row lock, messages, the audit row, and the
answer a ticket gets outside staffed hours."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from exams.models import ExamBatch
from support import faq
from support.exceptions import InvalidInput, TicketNotFound
from support.models import FaqEntry, Ticket, TicketAction, TicketMessage
from support.selectors import faq_entries, faq_entry_dict, next_staffed_start

MAX_TEXT = 2000
AUTO_ANSWER_FAQ = 3


def text_field(value: object, *, field: str, required_message: str, limit: int = MAX_TEXT) -> str:
    """``value`` stripped, or ``InvalidInput`` at ``field`` when missing, not text or too long."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput({field: required_message})
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput({field: _("内容过长，请控制在 %(max)d 字以内。") % {"max": limit}})
    return value


def _local_text(when: datetime, batch: ExamBatch | None) -> str:
    tz = batch.tz if batch is not None else zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = when.astimezone(tz)
    return _("%(month)d月%(day)d日 %(time)s") % {
        "month": local.month, "day": local.day, "time": local.strftime("%H:%M")
    }


def staff_back_text(batch: ExamBatch | None, now: datetime) -> str:
    back = next_staffed_start(batch, now)
    if back is None:
        return _("现在不是人工支持时间，工作人员上班后会尽快回复您。")
    return _("现在不是人工支持时间。人工支持时间为 %(when)s 起，届时工作人员会尽快回复。") % {
        "when": _local_text(back, batch)
    }


def ticket_lock(ticket_id: int) -> Ticket:
    """The ticket under a row lock (inside ``transaction.atomic``), or ``TicketNotFound``."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("batch", "assignee")
        .filter(pk=ticket_id).first()
    )
    if ticket is None:
        raise TicketNotFound()
    return ticket


def message_add(
    *, ticket: Ticket, kind: str, text: str, now: datetime, author: User | None = None,
    details: dict[str, Any] | None = None,
) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket, author_kind=kind, author=author, text=text, details=details or {}, at=now
    )


def action_audit(
    *, ticket: Ticket, action: str, actor: User | None, now: datetime, details: dict[str, Any] | None = None
) -> None:
    TicketAction.objects.create(ticket=ticket, actor=actor, action=action, details=details or {}, at=now)


def out_of_hours_answer(*, ticket: Ticket, query: str, now: datetime, with_faq: bool) -> None:
    """The system's answer outside staffed hours: when staff are back, and maybe FAQ entries."""
    details: dict[str, Any] = {"auto": True}
    text = staff_back_text(ticket.batch, now)
    if with_faq:
        matches = faq.rank(query, faq_entries(batch=ticket.batch), limit=AUTO_ANSWER_FAQ)
        if matches:
            details["faq"] = [faq_entry_dict(cast(FaqEntry, m.entry)) for m in matches]
            text += "\n" + _("以下常见问题可能对您有帮助：")
            text += "".join(f"\n· {m.entry.question}" for m in matches)
    message_add(ticket=ticket, kind=TicketMessage.SYSTEM, text=text, now=now, details=details)


def waiting_status(ticket: Ticket) -> str:
    """The status of a ticket waiting for staff: claimed if someone holds it, else open."""
    return Ticket.CLAIMED if ticket.assignee_id else Ticket.OPEN
