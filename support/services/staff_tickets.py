"""What staff do with a ticket: reply, claim, assign, close, reopen."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext as _

from support import live
from support.exceptions import AlreadyClaimed, IllegalTicketAction, InvalidInput
from support.models import Ticket, TicketAction, TicketMessage
from support.selectors import support_staff_users
from support.services.tickets import action_audit, message_add, text_field, ticket_lock, waiting_status


@transaction.atomic
def ticket_reply(*, ticket_id: int, text: object, actor: User, now: datetime) -> Ticket:
    text = text_field(text, field="text", required_message=_("请输入回复内容。"))
    ticket = ticket_lock(ticket_id)
    if ticket.status == Ticket.CLOSED:
        raise IllegalTicketAction(_("工单已关闭，请先重新打开再回复。"))
    message_add(ticket=ticket, kind=TicketMessage.STAFF, text=text, now=now, author=actor)
    ticket.status = Ticket.ANSWERED
    ticket.waiting_since = None
    ticket.first_response_at = ticket.first_response_at or now
    if ticket.assignee_id is None:
        ticket.assignee = actor
    ticket.updated_at = now
    ticket.save(update_fields=["status", "waiting_since", "first_response_at", "assignee", "updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


@transaction.atomic
def ticket_claim(*, ticket_id: int, actor: User, now: datetime) -> Ticket:
    """Take a ticket: a conditional UPDATE, so two staff clicking at once cannot both win."""
    claimed = (
        Ticket.objects.filter(pk=ticket_id)
        .exclude(status=Ticket.CLOSED)
        .filter(Q(assignee__isnull=True) | Q(assignee=actor))
        .update(
            assignee=actor,
            status=Case(When(status=Ticket.OPEN, then=Value(Ticket.CLAIMED)), default=F("status")),
            updated_at=now,
        )
    )
    ticket = ticket_lock(ticket_id)
    if not claimed:
        if ticket.status == Ticket.CLOSED:
            raise IllegalTicketAction(_("工单已关闭。"))
        raise AlreadyClaimed()
    action_audit(ticket=ticket, action=TicketAction.CLAIM, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_assign(*, ticket_id: int, assignee_id: object, actor: User, now: datetime) -> Ticket:
    assignee = support_staff_users().filter(pk=assignee_id).first() if isinstance(assignee_id, int) else None
    if assignee is None:
        raise InvalidInput({"assignee": _("请选择一位技术支持人员。")})
    ticket = ticket_lock(ticket_id)
    if ticket.status == Ticket.CLOSED:
        raise IllegalTicketAction(_("工单已关闭。"))
    previous = ticket.assignee.get_username() if ticket.assignee is not None else None
    ticket.assignee = assignee
    if ticket.status == Ticket.OPEN:
        ticket.status = Ticket.CLAIMED
    ticket.updated_at = now
    ticket.save(update_fields=["assignee", "status", "updated_at"])
    action_audit(
        ticket=ticket, action=TicketAction.ASSIGN, actor=actor, now=now,
        details={"from": previous, "to": assignee.get_username()},
    )
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_close(*, ticket_id: int, actor: User, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    if ticket.status == Ticket.CLOSED:
        return ticket
    ticket.status = Ticket.CLOSED
    ticket.closed_at = now
    ticket.waiting_since = None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    action_audit(ticket=ticket, action=TicketAction.CLOSE, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket_id: int, actor: User, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    if ticket.status != Ticket.CLOSED:
        raise IllegalTicketAction(_("只有已关闭的工单可以重新打开。"))
    ticket.status = waiting_status(ticket)
    ticket.closed_at = None
    ticket.waiting_since = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    action_audit(ticket=ticket, action=TicketAction.REOPEN, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket
