"""Every change to tickets and the FAQ; each writes its audit row and pushes after commit.

Ticket states (support.models.Ticket): open -> claimed -> answered -> closed, and back:
a candidate's follow-up or a staff "reopen" makes an answered or closed ticket wait again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import statuses
from exams.models import Attempt, ExamBatch
from exams.services.answering import attempt_unlock
from exams.services.organizer import attempt_send_message
from exams.services.steps import attempt_step_waive
from examsite.images import image_to_jpeg
from examsite.storage import evidence_storage
from support import faq, live
from support.context import attempt_context, client_details
from support.exceptions import (
    AlreadyClaimed,
    IllegalTicketAction,
    InvalidInput,
    NoAttempt,
    NotLocked,
    TicketNotFound,
    TooManyTickets,
    UploadTooLarge,
)
from support.models import FaqEntry, Ticket, TicketAction, TicketMessage
from support.selectors import (
    batch_by_slug,
    faq_entries,
    faq_entry_dict,
    next_staffed_start,
    staffed_now,
    support_staff_users,
)

__all__ = [
    "faq_entries_load",
    "next_staffed_start",
    "staffed_now",
    "ticket_add_candidate_message",
    "ticket_assign",
    "ticket_claim",
    "ticket_close",
    "ticket_create",
    "ticket_message_attempt",
    "ticket_reopen",
    "ticket_reply",
    "ticket_unlock_attempt",
]

MAX_TEXT = 2000
MAX_CONTACT = 100
MAX_REASON = 500
# Unclosed tickets one owner may have at once: enough for real trouble, not for flooding.
MAX_UNCLOSED_PER_OWNER = 5
AUTO_ANSWER_FAQ = 3
SCREENSHOT_DIR = "support"


# --- FAQ ------------------------------------------------------------------------------

@transaction.atomic
def faq_entries_load(*, batch: ExamBatch | None, entries: list[dict[str, Any]]) -> int:
    """Create or update entries by (batch, question); loading twice changes nothing."""
    for item in entries:
        FaqEntry.objects.update_or_create(
            batch=batch,
            question=item["question"],
            defaults={
                "answer": item["answer"],
                "keywords": item.get("keywords", ""),
                "position": item.get("position", 0),
                "published": item.get("published", True),
            },
        )
    return len(entries)


# --- helpers --------------------------------------------------------------------------

def _text(value: Any, *, field: str, required_message: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput({field: required_message})
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput({field: _("内容过长，请控制在 %(max)d 字以内。") % {"max": limit}})
    return value


def _local_text(when: datetime, batch: ExamBatch | None) -> str:
    import zoneinfo

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


def _screenshot(upload) -> bytes:
    """Same rules as evidence: size first, then Pillow decodes and re-encodes (413 / 415)."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge(_("截图过大，请压缩后重新上传。"))
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1) if hasattr(upload, "read") else bytes(upload)
    jpeg, _width, _height = image_to_jpeg(data)
    return jpeg


def _attempt_for_id_number(id_number: str, batch: ExamBatch | None, now: datetime) -> Attempt | None:
    """The attempt a public-page asker probably means: locked first, then one in progress."""
    attempts = Attempt.objects.select_related("session__batch", "registration__candidate").filter(
        registration__candidate__id_number=id_number,
        session__ends_at__gte=now - timedelta(hours=1),
        session__starts_at__lte=now + timedelta(days=1),
    )
    if batch is not None:
        attempts = attempts.filter(session__batch=batch)
    ranked = sorted(
        attempts,
        key=lambda a: (
            not a.locked, a.state not in statuses.OPEN, abs((a.session.starts_at - now).total_seconds())
        ),
    )
    return ranked[0] if ranked else None


def _add_message(
    *, ticket: Ticket, kind: str, text: str, now: datetime, author=None, details: dict | None = None
) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket, author_kind=kind, author=author, text=text, details=details or {}, at=now
    )


def _audit(*, ticket: Ticket, action: str, actor, now: datetime, details: dict | None = None) -> None:
    TicketAction.objects.create(ticket=ticket, actor=actor, action=action, details=details or {}, at=now)


def _auto_answer(*, ticket: Ticket, query: str, now: datetime, with_faq: bool) -> None:
    details: dict[str, Any] = {"auto": True}
    text = staff_back_text(ticket.batch, now)
    if with_faq:
        matches = faq.rank(query, faq_entries(batch=ticket.batch), limit=AUTO_ANSWER_FAQ)
        if matches:
            details["faq"] = [faq_entry_dict(m.entry) for m in matches]
            text += "\n" + _("以下常见问题可能对您有帮助：")
            text += "".join(f"\n· {m.entry.question}" for m in matches)
    _add_message(ticket=ticket, kind=TicketMessage.SYSTEM, text=text, now=now, details=details)


def _locked_ticket(ticket_id: int) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("batch", "assignee")
        .filter(pk=ticket_id).first()
    )
    if ticket is None:
        raise TicketNotFound()
    return ticket


def _waiting_status(ticket: Ticket) -> str:
    return Ticket.CLAIMED if ticket.assignee_id else Ticket.OPEN


# --- candidates -----------------------------------------------------------------------

def ticket_create(
    *,
    category: Any,
    text: Any,
    now: datetime,
    attempt_id: int | None = None,
    batch_slug: Any = "",
    contact: Any = "",
    id_number: Any = "",
    client: Any = None,
    user_agent: str = "",
    screenshot=None,
    owner_tokens: list[str] | None = None,
) -> Ticket:
    """A candidate asks for help: from an exam page (``attempt_id`` from their session) or
    anonymously from a public page (contact required, ID number optional).

    Outside staffed hours the ticket is queued and answered at once with when staff are back
    and the best matching FAQ entries.
    """
    errors: dict[str, str] = {}
    category = category or Ticket.OTHER
    if category not in dict(Ticket.CATEGORIES):
        errors["category"] = _("请选择问题类型。")
    try:
        text = _text(text, field="text", required_message=_("请描述您遇到的问题。"))
    except InvalidInput as error:
        errors.update(error.errors)
    attempt = None
    batch = None
    normalized_id = ""
    if attempt_id is not None:
        attempt = (
            Attempt.objects.select_related("session__batch", "registration__candidate")
            .filter(pk=attempt_id).first()
        )
        if attempt is None:
            raise NoAttempt()
        batch = attempt.session.batch
        contact = contact.strip()[:MAX_CONTACT] if isinstance(contact, str) else ""
    else:
        if not isinstance(contact, str) or not contact.strip():
            errors["contact"] = _("请留下联系方式（手机号或邮箱），以便工作人员联系您。")
        elif len(contact.strip()) > MAX_CONTACT:
            errors["contact"] = _("联系方式过长。")
        else:
            contact = contact.strip()
        if isinstance(id_number, str) and id_number.strip():
            try:
                normalized_id = idnumbers.normalize_for_login(id_number)
            except idnumbers.InvalidIdNumber as error:
                errors["id_number"] = str(error)
        elif id_number not in ("", None):
            errors["id_number"] = _("证件号必须是文字。")
        if isinstance(batch_slug, str) and batch_slug.strip():
            batch = batch_by_slug(batch_slug.strip())
            if batch is None:
                errors["batch"] = _("未知的考试批次。")
        elif batch_slug not in ("", None):
            errors["batch"] = _("未知的考试批次。")
    if errors:
        raise InvalidInput(errors)

    unclosed = Ticket.objects.exclude(status=Ticket.CLOSED)
    owned = (
        unclosed.filter(attempt_id=attempt.id, attempt_unverified=False) if attempt is not None
        else unclosed.filter(token__in=owner_tokens or [])
    )
    if owned.count() >= MAX_UNCLOSED_PER_OWNER:
        raise TooManyTickets()

    jpeg = _screenshot(screenshot) if screenshot is not None else None

    browser = client_details(client, user_agent=user_agent)
    if attempt is not None:
        context = {"entry": "logged_in", **attempt_context(attempt, now), "client": browser}
        unverified = False
    else:
        attempt = _attempt_for_id_number(normalized_id, batch, now) if normalized_id else None
        context = {"entry": "public", "client": browser}
        if normalized_id:
            context["id_number_masked"] = idnumbers.mask(normalized_id)
        if attempt is not None:
            context.update(attempt_context(attempt, now))
            batch = batch or attempt.session.batch
        unverified = attempt is not None

    stored_name = ""
    if jpeg is not None:
        stored_name = evidence_storage.save(
            f"{SCREENSHOT_DIR}/{now:%Y%m%d}/{secrets.token_hex(12)}.jpg", ContentFile(jpeg)
        )
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                batch=batch,
                session=attempt.session if attempt is not None else None,
                attempt=attempt,
                attempt_unverified=unverified,
                contact=contact if isinstance(contact, str) else "",
                id_number=normalized_id,
                category=category,
                text=text,
                screenshot_name=stored_name,
                screenshot_sha256=hashlib.sha256(jpeg).hexdigest() if jpeg is not None else "",
                status=Ticket.OPEN,
                context=context,
                token=secrets.token_urlsafe(24),
                created_at=now,
                waiting_since=now,
                updated_at=now,
            )
            if not staffed_now(batch, now):
                _auto_answer(ticket=ticket, query=text, now=now, with_faq=True)
            live.ticket_changed(ticket=ticket, event="created")
    except Exception:
        if stored_name:
            evidence_storage.delete(stored_name)
        raise
    return ticket


@transaction.atomic
def ticket_add_candidate_message(*, ticket_id: int, text: Any, now: datetime) -> Ticket:
    """The owner writes again (call after checking ownership); a closed ticket reopens."""
    text = _text(text, field="text", required_message=_("请输入内容。"))
    ticket = _locked_ticket(ticket_id)
    was_waiting = ticket.status in Ticket.WAITING
    if ticket.status == Ticket.CLOSED:
        _audit(ticket=ticket, action=TicketAction.REOPEN, actor=None, now=now, details={"by": "candidate"})
    _add_message(ticket=ticket, kind=TicketMessage.CANDIDATE, text=text, now=now)
    if not was_waiting:
        ticket.status = _waiting_status(ticket)
        ticket.waiting_since = now
        ticket.closed_at = None
        if not staffed_now(ticket.batch, now):
            _auto_answer(ticket=ticket, query=text, now=now, with_faq=False)
    ticket.updated_at = now
    ticket.save(update_fields=["status", "waiting_since", "closed_at", "updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


# --- staff ----------------------------------------------------------------------------

@transaction.atomic
def ticket_reply(*, ticket_id: int, text: Any, actor, now: datetime) -> Ticket:
    text = _text(text, field="text", required_message=_("请输入回复内容。"))
    ticket = _locked_ticket(ticket_id)
    if ticket.status == Ticket.CLOSED:
        raise IllegalTicketAction(_("工单已关闭，请先重新打开再回复。"))
    _add_message(ticket=ticket, kind=TicketMessage.STAFF, text=text, now=now, author=actor)
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
def ticket_claim(*, ticket_id: int, actor, now: datetime) -> Ticket:
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
    ticket = _locked_ticket(ticket_id)
    if not claimed:
        if ticket.status == Ticket.CLOSED:
            raise IllegalTicketAction(_("工单已关闭。"))
        raise AlreadyClaimed()
    _audit(ticket=ticket, action=TicketAction.CLAIM, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_assign(*, ticket_id: int, assignee_id: Any, actor, now: datetime) -> Ticket:
    assignee = support_staff_users().filter(pk=assignee_id).first() if isinstance(assignee_id, int) else None
    if assignee is None:
        raise InvalidInput({"assignee": _("请选择一位技术支持人员。")})
    ticket = _locked_ticket(ticket_id)
    if ticket.status == Ticket.CLOSED:
        raise IllegalTicketAction(_("工单已关闭。"))
    previous = ticket.assignee.get_username() if ticket.assignee_id else None
    ticket.assignee = assignee
    if ticket.status == Ticket.OPEN:
        ticket.status = Ticket.CLAIMED
    ticket.updated_at = now
    ticket.save(update_fields=["assignee", "status", "updated_at"])
    _audit(
        ticket=ticket, action=TicketAction.ASSIGN, actor=actor, now=now,
        details={"from": previous, "to": assignee.get_username()},
    )
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_close(*, ticket_id: int, actor, now: datetime) -> Ticket:
    ticket = _locked_ticket(ticket_id)
    if ticket.status == Ticket.CLOSED:
        return ticket
    ticket.status = Ticket.CLOSED
    ticket.closed_at = now
    ticket.waiting_since = None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    _audit(ticket=ticket, action=TicketAction.CLOSE, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket_id: int, actor, now: datetime) -> Ticket:
    ticket = _locked_ticket(ticket_id)
    if ticket.status != Ticket.CLOSED:
        raise IllegalTicketAction(_("只有已关闭的工单可以重新打开。"))
    ticket.status = _waiting_status(ticket)
    ticket.closed_at = None
    ticket.waiting_since = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    _audit(ticket=ticket, action=TicketAction.REOPEN, actor=actor, now=now)
    live.ticket_changed(ticket=ticket, event="status")
    return ticket


# --- what the organizer lets support do to the attempt ----------------------------------

@transaction.atomic
def ticket_unlock_attempt(*, ticket_id: int, reason: Any, actor, now: datetime) -> Ticket:
    """Lift a leave-limit lock on the ticket's attempt (exams' unlock, audited on both sides)."""
    reason = _text(reason, field="reason", required_message=_("解锁必须填写原因。"), limit=MAX_REASON)
    ticket = _locked_ticket(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    if not Attempt.objects.filter(pk=ticket.attempt_id, locked=True).exists():
        raise NotLocked()
    attempt_unlock(
        attempt_id=ticket.attempt_id, actor=actor, reason=reason, now=now, source=f"ticket:{ticket.id}"
    )
    _audit(
        ticket=ticket, action=TicketAction.UNLOCK, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "reason": reason},
    )
    _add_message(
        ticket=ticket, kind=TicketMessage.SYSTEM, now=now,
        text=_("工作人员已解除您的作答锁定，请重新登录继续作答。"),
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


@transaction.atomic
def ticket_waive_step(*, ticket_id: int, step: Any, reason: Any, actor: Any, now: datetime) -> Ticket:
    """Waive one required step (login photo, phone monitor, A4 sheet) of the ticket's attempt:
    exams' waiver (reason, audit, live push), audited on the ticket too."""
    reason = _text(reason, field="reason", required_message=_("免除步骤必须填写原因。"), limit=MAX_REASON)
    ticket = _locked_ticket(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    step = str(step or "")
    attempt_step_waive(
        attempt_id=ticket.attempt_id, step=step, actor=actor, reason=reason, now=now,
        source=f"ticket:{ticket.id}",
    )
    _audit(
        ticket=ticket, action=TicketAction.WAIVE_STEP, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "step": step, "reason": reason},
    )
    _add_message(
        ticket=ticket, kind=TicketMessage.SYSTEM, now=now,
        text=_("工作人员已为您免除一项考前步骤，请回到考试页面继续。"),
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket


@transaction.atomic
def ticket_message_attempt(*, ticket_id: int, text: Any, actor, now: datetime) -> Ticket:
    """Show a message on the candidate's exam page (exams' organizer message), audited here too."""
    text = _text(text, field="text", required_message=_("请输入消息内容。"), limit=500)
    ticket = _locked_ticket(ticket_id)
    if ticket.attempt_id is None:
        raise NoAttempt()
    attempt_send_message(
        attempt_id=ticket.attempt_id, text=text, actor=actor, now=now, source=f"ticket:{ticket.id}"
    )
    _audit(
        ticket=ticket, action=TicketAction.MESSAGE, actor=actor, now=now,
        details={"attempt": ticket.attempt_id, "text": text},
    )
    return ticket
