"""What the organizer lets support do to a ticket's attempt: lift its lock, message its page.

exams does the change and audits it on the attempt; the ticket's history records it too.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from exams.models import Attempt
from exams.services.answering import attempt_unlock
from exams.services.organizer import attempt_send_message
from exams.services.steps import attempt_step_waive
from support import live
from support.exceptions import NoAttempt, NotLocked
from support.models import Ticket, TicketAction, TicketMessage
from support.services.tickets import action_audit, message_add, text_field, ticket_lock

MAX_REASON = 500


@transaction.atomic
def ticket_unlock_attempt(*, ticket_id: int, reason: object, actor: User, now: datetime) -> Ticket:
    """Lift a leave-limit lock on the ticket's attempt (exams' unlock, audited on both sides)."""
    reason = text_field(reason, field="reason", required_message=_("解锁必须填写原因。"), limit=MAX_REASON)
    ticket = ticket_lock(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    if not Attempt.objects.filter(pk=ticket.attempt_id, locked=True).exists():
        raise NotLocked()
    attempt_unlock(
        attempt_id=ticket.attempt_id, actor=actor, reason=reason, now=now, source=f"ticket:{ticket.id}"
    )
    action_audit(
        ticket=ticket, action=TicketAction.UNLOCK, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "reason": reason},
    )
    message_add(
        ticket=ticket, kind=TicketMessage.SYSTEM, now=now,
        text=_("工作人员已解除您的作答锁定，请重新登录继续作答。"),
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


@transaction.atomic
def ticket_waive_step(*, ticket_id: int, step: object, reason: object, actor: User, now: datetime) -> Ticket:
    """Waive one required step (login photo, phone monitor, A4 sheet) of the ticket's attempt:
    exams' waiver (reason, audit, live push), audited on the ticket too."""
    reason = text_field(reason, field="reason", required_message=_("免除步骤必须填写原因。"), limit=MAX_REASON)
    ticket = ticket_lock(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    step_name = str(step or "")
    attempt_step_waive(
        attempt_id=ticket.attempt_id, step=step_name, actor=actor, reason=reason, now=now,
        source=f"ticket:{ticket.id}",
    )
    action_audit(
        ticket=ticket, action=TicketAction.WAIVE_STEP, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "step": step_name, "reason": reason},
    )
    message_add(
        ticket=ticket, kind=TicketMessage.SYSTEM, now=now,
        text=_("工作人员已为您免除一项考前步骤，请回到考试页面继续。"),
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


@transaction.atomic
def ticket_message_attempt(*, ticket_id: int, text: object, actor: User, now: datetime) -> Ticket:
    """Show a message on the candidate's exam page (exams' organizer message), audited here too."""
    text = text_field(text, field="text", required_message=_("请输入消息内容。"), limit=500)
    ticket = ticket_lock(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    attempt_send_message(
        attempt_id=ticket.attempt_id, text=text, actor=actor, now=now, source=f"ticket:{ticket.id}"
    )
    action_audit(
        ticket=ticket, action=TicketAction.MESSAGE, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "text": text},
    )
    return ticket
